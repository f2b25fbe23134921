import { injectable } from 'inversify';

export interface SensorInfo {
  site: string;
  unit: string;
}

const SITES = ['north', 'south', 'harbour', 'airport'];
const UNITS = ['°C', 'hPa', '%RH'];

/** A stand-in for a sensor registry with a local cache: a lookup takes about a millisecond. */
@injectable()
export class Sensors {
  async describe(sensorId: string, { signal }: { signal: AbortSignal }): Promise<SensorInfo | undefined> {
    signal.throwIfAborted();
    const n = Number(sensorId.replace(/^sensor-/, ''));
    if (!Number.isInteger(n) || n < 0) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 1));
    return { site: SITES[n % SITES.length] as string, unit: UNITS[n % UNITS.length] as string };
  }
}
