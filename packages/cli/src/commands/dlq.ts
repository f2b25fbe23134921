import type { Command } from 'commander';

/** `warren dlq list|replay|purge`: operator tools for dead-lettered messages (filled in with retries). */
export function registerDlqCommands(program: Command): void {
  void program;
}
