// The layers of packages/core/src, checked by `npm run lint` (scripts/check-layers.js).
//
//   app/, index.ts                      anything
//   observability/                      message (the tracing seam), and reads consumer, publisher, connection
//   operations/                         connection, publisher, message, options, topology, consumer
//   decorators/                         options, consumer
//   consumer/                           everything below
//   publisher/                          connection, options, message
//   topology/                           options (what to declare), connection (a broker's address), message
//   options/                            middleware (a consumer's `use`), message
//   connection/  middleware/            message
//   message/                            the leaves
//   errors/  events/  logging/          nothing (the leaves)
//
// Every folder may use the leaves and its own files. A folder that is in no layer fails the check:
// place it here (and in the drawing) first.
//
// Run time against type-only. An import is type-only when tsc erases it whatever the code does
// with it: `import type`, `export type`, or every imported name marked `type`. Any other import
// counts as a run-time import, even when tsc would elide it because it only names types: mark
// those `import type`. A type-only import may reach any layer below (what the allowed folders
// may reach in turn) and the folders of its own tier, never one above, except as listed in
// `typeOnlyExceptions`. Folder cycles are looked for among run-time imports only, as only
// those decide load order.

const LEAVES = ['errors', 'events', 'logging'];

export default {
  /** The package whose folders are layers, and its public entry. */
  core: { src: 'packages/core/src', dir: 'packages/core', name: '@warren/core' },

  /** Folder (or file at the root of src) -> folders it may import at run time; '*' is anything. */
  layers: {
    errors: [],
    events: [],
    logging: [],
    message: [...LEAVES],
    connection: [...LEAVES, 'message'],
    middleware: [...LEAVES, 'message'],
    options: [...LEAVES, 'message', 'middleware'],
    topology: [...LEAVES, 'message', 'connection', 'options'],
    publisher: [...LEAVES, 'message', 'connection', 'options'],
    consumer: [...LEAVES, 'message', 'connection', 'options', 'topology', 'middleware', 'publisher'],
    decorators: [...LEAVES, 'options', 'consumer'],
    operations: [...LEAVES, 'message', 'connection', 'options', 'topology', 'publisher', 'consumer'],
    observability: [...LEAVES, 'message', 'connection', 'publisher', 'consumer'],
    app: '*',
    'index.ts': '*',
  },

  /** Folders of one tier may see each other's types (topology uses options' types, and so on). */
  tiers: [LEAVES, ['connection', 'middleware']],

  typeOnlyExceptions: [
    // The events name their payloads: a settled message's Outcome, a consumer's state.
    { file: 'events/events.ts', may: ['message', 'consumer'] },
  ],

  /**
   * Modules that only some files of core may import, types included. A listed file's own test
   * (`X.test.ts`, `X.*.test.ts` beside `X.ts`) may import it too.
   */
  confined: {
    amqplib: [
      'connection/',
      'topology/', // declares queues and exchanges on a channel
      'operations/', // reads dead-letter queues with basic.get; probes and declares an app's topology
      'publisher/ConfirmChannelSession.ts',
      'publisher/QueueDepthProbe.ts', // the passive declares that read a limited queue's depth
      'consumer/ConsumerChannel.ts',
      'consumer/ChannelAcks.ts',
      'publisher/headerFrame.ts', // its test checks the sizes byte for byte against amqplib's own encoder
    ],
  },

  /** Code outside core that may use core only through `core.name`, never a path into it. */
  publicEntryOnly: ['packages/cli/src', 'packages/testing/src', 'examples', 'test', 'bench'],
};
