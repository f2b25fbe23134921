export type { DashboardOptions, Mark, MarkKind, MarkSeverity, Sample, Snapshot, Status } from './dashboard/index.js';
export { dashboardRoutes } from './dashboard/index.js';
export { exitCodes } from './exitCodes.js';
export { loadApp } from './loadApp.js';
export type { OperationsServerOptions, RouteTable } from './operationsServer.js';
export { operationsRoutes, startOperationsServer } from './operationsServer.js';
