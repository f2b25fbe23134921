import type { SubjectSpec } from '../subjects/catalogue.js';
import type { RpcSubject } from '../subjects/rpc.js';
import type { ConsumeSpec, PublishSpec } from '../subjects/Subject.js';

/** The measurement window: it opens `warmupMs` after the first message (JIT, connection setup) and lasts `windowMs`. */
export interface Window {
  warmupMs: number;
  windowMs: number;
}

/** `--profile`: where the child writes a CPU profile of its window, and the file's name. */
export interface ProfileTo {
  dir: string;
  name: string;
}

/** What the parent asks one child process to measure, for one subject. */
export type Job = { profile?: ProfileTo } & (
  | {
      kind: 'consume';
      module: SubjectSpec['module'];
      consume: ConsumeSpec;
      window: Window /** Messages in the queue at the start. */;
      available: number;
    }
  | { kind: 'publish'; module: SubjectSpec['module']; publish: PublishSpec; window: Window }
  | { kind: 'latency'; module: SubjectSpec['module']; consume: ConsumeSpec; publish: PublishSpec; window: Window; ratePerSec: number }
  | { kind: 'idle'; module: SubjectSpec['module']; consume: ConsumeSpec; publish: PublishSpec; window: Window }
  | { kind: 'rpc'; module: 'rpc'; subject: RpcSubject; url: string; queue: string; callers: number; window: Window }
);

export interface ConsumeResult {
  /** Handler calls per second in the window. */
  rate: number;
  /** This process's CPU (user + system) in the window over the messages handled in it, µs. */
  cpuUsPerMsg: number;
  /** Its main thread's GC pauses in the window over those messages, µs (snapshot.ts). */
  gcUsPerMsg: number;
  /** Its minor page faults in the window over those messages (NaN off Linux). */
  faultsPerMsg: number;
  /** The local broker's CPU in the window over those messages, µs (NaN without one). */
  brokerCpuUsPerMsg: number;
  /** Handler calls from start to stop: the queue must have lost exactly these. */
  handled: number;
  /** The queue ran out before the window closed: the measurement is void (the parent refills more). */
  ranDry: boolean;
}

export interface PublishResult {
  /** Confirms per second in the window. */
  rate: number;
  cpuUsPerMsg: number;
  gcUsPerMsg: number;
  faultsPerMsg: number;
  brokerCpuUsPerMsg: number;
  /** Confirms from start to stop. */
  confirmed: number;
}

export interface LatencyResult {
  /** Publish call to handler call, ms, over the messages published in the window. */
  p50: number;
  p99: number;
  max: number;
  samples: number;
  /** Messages published in the window per second (the offered rate, as achieved). */
  offered: number;
  /** Publisher and consumer together (one process), µs per message. */
  cpuUsPerMsg: number;
}

export interface IdleResult {
  /** This process's CPU (user + system) over the window, ms per second. */
  cpuMsPerSec: number;
  /** Its voluntary context switches over the window, per second. */
  wakeupsPerSec: number;
}

export interface RpcResult {
  /** Round trips per second in the window. */
  perSec: number;
  p50: number;
  p99: number;
  /** The child's CPU (caller and responder both), µs per round trip. */
  cpuUs: number;
  /** The local broker's CPU, µs per round trip (NaN without one). */
  brokerCpuUs: number;
}

export type Result = ConsumeResult | PublishResult | LatencyResult | IdleResult | RpcResult;

/** Child to parent over the IPC channel. */
export type ChildMessage = { type: 'ready' } | { type: 'result'; result: Result } | { type: 'error'; message: string };
