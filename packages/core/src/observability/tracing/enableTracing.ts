import { installMessageTracer, messageTracer } from '../../message/tracing.js';
import { type Api, OtelMessageTracer } from './OtelMessageTracer.js';

const VERSION = '0.1.0';

let loading: Promise<Api | undefined> | undefined;

/**
 * Turns tracing on when OpenTelemetry is there to take it: `@opentelemetry/api` is installed (an
 * optional peer dependency, imported here and nowhere else) and an SDK has registered a tracer
 * provider. Otherwise it does nothing and Warren's message path stays as it is (no span, no header,
 * no context). Process-wide, as OpenTelemetry's provider is; the app calls it at start, and a
 * standalone publisher's owner may call it once. Resolves to whether tracing is on.
 *
 * Register the SDK with a context manager (NodeSDK and NodeTracerProvider do), or what a handler
 * publishes cannot be tied to its message: the context is carried across `await` by it.
 */
export async function enableTracing(): Promise<boolean> {
  loading ??= import('@opentelemetry/api').then(
    (api) => api,
    () => undefined,
  );
  const api = await loading;
  if (api === undefined || !sdkRegistered(api)) return messageTracer() !== undefined;
  if (messageTracer() === undefined) installMessageTracer(new OtelMessageTracer(api, VERSION));
  return true;
}

/** Turns Warren's tracing off again (for tests, or an app that wants no spans though an SDK is registered). */
export function disableTracing(): void {
  installMessageTracer(undefined);
}

/**
 * Whether an SDK has registered a provider. The API's global provider is a proxy that hands out
 * no-op tracers until one is registered (its `getDelegateTracer` answers undefined until then);
 * one registered without the proxy is an SDK too.
 */
export function sdkRegistered(api: Api): boolean {
  const provider = api.trace.getTracerProvider() as { getDelegateTracer?: (name: string) => unknown };
  return typeof provider.getDelegateTracer !== 'function' || provider.getDelegateTracer('@warren/core') !== undefined;
}
