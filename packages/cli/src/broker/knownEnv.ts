/**
 * Every WARREN_* variable something in Warren reads. A variable that starts with WARREN_ and is
 * not here is most likely a typo (WARREN_URL_FIEL), and a typo of a URL variable would otherwise
 * fall back, silently, to the default local broker: `unknownWarrenVariables` names it at start.
 */
const KNOWN = new Set([
  'WARREN_URL',
  'WARREN_URL_FILE',
  'WARREN_TLS_CA',
  'WARREN_TLS_CERT',
  'WARREN_TLS_KEY',
  'WARREN_TLS_PASSPHRASE_FILE',
  'WARREN_TLS_SERVERNAME',
  'WARREN_TLS_NO_VERIFY',
  'WARREN_HTTP_PORT',
  'WARREN_HTTP_TOKEN',
  'WARREN_HTTP_TOKEN_FILE',
  'WARREN_LOG_LEVEL',
  'WARREN_LOG_FORMAT',
  'WARREN_DEBUG',
  'WARREN_CONSUMER_TIMEOUT_MS',
]);

/** The repository's own tooling (tests, benchmarks, the cluster and TLS node scripts) sets these; the app never reads them. */
const TOOLING_PREFIXES = ['WARREN_TEST_', 'WARREN_CLUSTER_', 'WARREN_TLS_NODE_', 'WARREN_BENCH_', 'WARREN_DEMO_', 'WARREN_RABBITMQ_'];

/** One line per WARREN_* variable Warren does not know, with the known name it is closest to. */
export function unknownWarrenVariables(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('WARREN_') && !KNOWN.has(name) && !TOOLING_PREFIXES.some((p) => name.startsWith(p)))
    .sort()
    .map((name) => {
      const near = closest(name);
      return `environment variable ${name} is not one Warren reads; it is ignored${near === undefined ? '' : ` (did you mean ${near}?)`}`;
    });
}

/** The known name within 3 edits of `name`, if any (a typo, a missing or doubled letter). */
function closest(name: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const known of KNOWN) {
    const distance = editDistance(name, known);
    if (distance <= 3 && (best === undefined || distance < best.distance)) best = { name: known, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}
