import {
  type ConnectionManager,
  checkDeadlinesAgainstBroker,
  diffTopology,
  observeTopology,
  type PermissionVerdict,
  permissionNeeds,
  permissionPatterns,
  probePermissions,
  type TopologyDifference,
  type TopologyPlan,
  type TopologyReport,
  type WarrenApp,
} from '@warren/core';
import { exitCodeOf, exitCodes } from '../exitCodes.js';
import { adminConnection } from './adminConnection.js';
import { type AppTopology, finish, loadAppTopology, type OperatorOptions } from './appTopology.js';

export interface CheckResult {
  name: string;
  status: 'ok' | 'failed';
  summary: string;
  /** The exit code when it failed. */
  exitCode: number;
}

/** What the checks after connecting share; the topology check leaves its report for the permissions check. */
export interface CheckContext {
  app: WarrenApp;
  plan: TopologyPlan;
  connection: ConnectionManager;
  topology?: TopologyReport;
  permissions?: PermissionsReport;
}

/** What the permissions check found: the patterns that grant exactly what the app needs, and each need as the broker answered. */
export interface PermissionsReport {
  user: string;
  vhost: string;
  patterns: { configure: string; write: string; read: string };
  needs: PermissionVerdict[];
}

export interface ConnectedCheck {
  name: string;
  run(ctx: CheckContext): Promise<CheckResult>;
}

const ok = (name: string, summary: string): CheckResult => ({ name, status: 'ok', summary, exitCode: exitCodes.ok });
const failed = (name: string, summary: string, exitCode: number): CheckResult => ({ name, status: 'failed', summary, exitCode });

/** The checks `warren check` runs once connected, in order. A new check goes here. */
export const CONNECTED_CHECKS: readonly ConnectedCheck[] = [
  {
    name: 'deadlines',
    async run({ app, connection }) {
      try {
        await checkDeadlinesAgainstBroker(app.consumers, connection.brokerAddress, undefined);
      } catch (error) {
        return failed('deadlines', (error as Error).message, exitCodes.config);
      }
      const n = app.consumers.filter((c) => c.options.timeoutMs !== undefined).length;
      return ok('deadlines', n === 0 ? 'no consumer sets timeoutMs' : `${n} timeoutMs below the broker's delivery timeout`);
    },
  },
  {
    name: 'topology',
    async run(ctx) {
      const report = diffTopology(ctx.plan, await observeTopology(ctx.connection, ctx.plan));
      ctx.topology = report;
      const { queues, exchanges, bindings } = ctx.plan;
      const size = `${queues.length} queue(s), ${exchanges.length} exchange(s), ${bindings.length} binding(s)`;
      if (report.differences.length === 0) return ok('topology', `${size}: as declared`);
      return failed('topology', `${report.differences.length} difference(s) in ${size}`, exitCodes.drift);
    },
  },
  {
    // Least privilege: what the app needs per resource, asked of the broker for the user it logs in as.
    name: 'permissions',
    async run(ctx) {
      const { user } = ctx.connection.login;
      const vhost = ctx.connection.brokerAddress.vhost;
      const needs = permissionNeeds(ctx.plan);
      const refusedDeclares = new Set(
        (ctx.topology?.differences ?? []).filter((d) => d.problem === 'refused').map((d) => `${d.what} ${d.name}`),
      );
      const verdicts = await probePermissions(ctx.connection, needs, refusedDeclares, ctx.topology !== undefined);
      ctx.permissions = { user, vhost, patterns: permissionPatterns(needs), needs: verdicts };
      const missing = verdicts.filter((v) => v.verdict === 'refused' && v.optional !== true);
      const where = `user "${user}" on vhost "${vhost}"`;
      if (missing.length > 0) return failed('permissions', `${where} lacks ${describeMissing(missing)}`, exitCodes.drift);
      const lost = verdicts.filter((v) => v.verdict === 'refused');
      const unknown = verdicts.filter((v) => v.verdict === 'unknown' && v.pattern !== true).length;
      const extra = [
        ...(lost.length > 0 ? [`without ${describeMissing(lost)}: ${lost[0]?.why}`] : []),
        ...(unknown > 0 ? [`${unknown} not probed`] : []),
      ];
      return ok(
        'permissions',
        `${where} has the ${verdicts.length - unknown} permission(s) probed${extra.length > 0 ? `; ${extra.join('; ')}` : ''}`,
      );
    },
  },
];

interface CheckReport {
  command: 'check';
  app: string | null;
  broker: string | null;
  ok: boolean;
  exitCode: number;
  checks: Array<Omit<CheckResult, 'exitCode'>>;
  differences: TopologyDifference[];
  notices: string[];
  permissions: PermissionsReport | null;
}

/**
 * `warren check <app-module>`: loads and creates the app (every option checked), connects,
 * runs CONNECTED_CHECKS, and reports each difference between what the app declares and what the
 * broker has, changing nothing. The first failed check sets the exit code: 2 a bad app or option,
 * 1 the broker unreachable or the login refused, 4 a difference.
 */
export async function checkCommand(modulePath: string, opts: OperatorOptions): Promise<void> {
  const report: CheckReport = {
    command: 'check',
    app: null,
    broker: null,
    ok: false,
    exitCode: 0,
    checks: [],
    differences: [],
    notices: [],
    permissions: null,
  };
  const results: CheckResult[] = [];
  let loaded: AppTopology | undefined;
  let connection: ConnectionManager | undefined;
  try {
    loaded = await loadAppTopology(modulePath, opts);
    report.app = loaded.name;
    results.push(ok('options', `${loaded.app.consumers.length} consumer(s), every option valid`));
  } catch (error) {
    results.push(failed('options', (error as Error).message, exitCodeOf(error)));
  }
  if (loaded !== undefined) {
    try {
      connection = await adminConnection(loaded.broker);
      report.broker = connection.address;
      results.push(ok('connect', `connected to ${connection.address}`));
    } catch (error) {
      results.push(failed('connect', (error as Error).message, exitCodeOf(error)));
    }
  }
  if (loaded !== undefined && connection !== undefined) {
    const ctx: CheckContext = { app: loaded.app, plan: loaded.plan, connection };
    try {
      for (const check of CONNECTED_CHECKS) results.push(await check.run(ctx));
    } finally {
      await connection.close();
    }
    report.differences = ctx.topology?.differences ?? [];
    report.notices = ctx.topology?.notices ?? [];
    report.permissions = ctx.permissions ?? null;
  }
  report.exitCode = results.find((r) => r.status === 'failed')?.exitCode ?? exitCodes.ok;
  report.ok = report.exitCode === exitCodes.ok;
  report.checks = results.map(({ exitCode: _, ...r }) => r);
  await finish(opts.json === true ? `${JSON.stringify(report)}\n` : humanReport(report), report.exitCode);
}

function humanReport(r: CheckReport): string {
  const lines = [`warren check: app ${r.app === null ? '(not loaded)' : `"${r.app}"`}${r.broker === null ? '' : ` on ${r.broker}`}`];
  for (const c of r.checks) {
    lines.push(`  ${c.status === 'ok' ? 'ok    ' : 'FAILED'}  ${c.name.padEnd(11)}  ${c.summary}`);
    if (c.name === 'topology') for (const d of r.differences) lines.push(`          - ${d.message}`);
    if (c.name === 'permissions' && r.permissions !== null) lines.push(...permissionLines(r.permissions));
  }
  for (const n of r.notices) lines.push(`  note: ${n}`);
  const failed = r.checks.find((c) => c.status === 'failed')?.name;
  lines.push(r.ok ? 'ok: the broker has everything the app declares, as declared' : `exit ${r.exitCode} (${failed}); nothing was changed`);
  return `${lines.join('\n')}\n`;
}

/** "configure on queue a, queue b; read on queue a": the missing permissions, grouped. */
function describeMissing(verdicts: readonly PermissionVerdict[]): string {
  const by = new Map<string, string[]>();
  for (const v of verdicts) by.set(v.permission, [...(by.get(v.permission) ?? []), `${v.kind} ${v.name}`]);
  return [...by].map(([permission, names]) => `${permission} on ${names.join(', ')}`).join('; ');
}

/** The refused needs, why each is needed, and the least-privilege grant to fix them. */
function permissionLines(p: PermissionsReport): string[] {
  const lines = p.needs
    .filter((v) => v.verdict === 'refused')
    .map((v) => `          - ${v.optional ? '(optional) ' : ''}${v.permission} on ${v.kind} ${v.name}: ${v.why}`);
  const quote = (s: string): string => `'${s}'`;
  lines.push(
    `          least privilege: rabbitmqctl set_permissions -p ${quote(p.vhost)} ${quote(p.user)} ${quote(p.patterns.configure)} ${quote(p.patterns.write)} ${quote(p.patterns.read)}`,
  );
  return lines;
}
