import { createPublisher, type Publisher, silentLogger } from '@warren/core';
import { BrokerAdmin } from '@warren/testing';
import { BROKER_URL } from './broker.js';

/** What the request/reply tests' responders take and answer. */
export type Req = { n: number; fail?: boolean };
export type Res = { doubled: number; worker: number };

/** A request/reply test file's broker admin (it deletes what the tests declare) and the client its tests call through. */
export interface RpcKit {
  readonly admin: BrokerAdmin;
  readonly client: Publisher;
}

/** Opens a file's kit, in its `before`; `appName` names the client's connection. */
export async function openRpcKit(appName: string): Promise<RpcKit> {
  const admin = await BrokerAdmin.open();
  const client = await createPublisher({ url: BROKER_URL, logger: silentLogger(), appName });
  return { admin, client };
}

/** Closes it, in the file's `after`: the client first, then what the tests left on the broker. */
export async function closeRpcKit(kit: RpcKit): Promise<void> {
  await kit.client.close();
  await kit.admin.cleanup();
}
