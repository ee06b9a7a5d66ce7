/**
 * What a user needs to see in their MCP client, sent as `notifications/message` to every connected client
 * at the level it chose with `logging/setLevel` (the SDK filters by it): a component loaded or unloaded,
 * a fault and the fresh instance after it, an access the sandbox refused with the grant that would allow
 * it, a component the restore had to skip. Each message carries ids, tool names, error codes and the
 * messages the tool result already carries: never an argument, a secret, an environment value or guest
 * output.
 */
import type { LoggingLevel, McpServer } from '@modelcontextprotocol/server';

/** The name clients show as the source of these messages. */
const LOGGER = 'wasmactor';

/** At most this many start-up notes are kept for the clients that connect later. */
const MAX_STARTUP_NOTES = 50;

/** One message: what happened (`event`), where, and a sentence for a person. */
export interface ClientNote {
  event: string;
  message: string;
  [field: string]: unknown;
}

/** Sends notes to the connected clients; start-up notes also to each client when it initializes. */
export class ClientLog {
  readonly #connected: () => McpServer[];
  readonly #startup: { level: LoggingLevel; note: ClientNote }[] = [];
  /** Components whose last call faulted: their next call runs on a fresh instance. */
  readonly #faulted = new Set<string>();

  /** `connected` lists the servers of the clients connected now. */
  constructor(connected: () => McpServer[]) {
    this.#connected = connected;
  }

  /** Sends `note` to every connected client whose level lets `level` through. */
  send(level: LoggingLevel, note: ClientNote): void {
    for (const mcp of this.#connected()) this.#sendTo(mcp, level, note);
  }

  /** A note from before any client connected (the restore): sent to each client as it initializes. */
  startup(level: LoggingLevel, note: ClientNote): void {
    if (this.#startup.length < MAX_STARTUP_NOTES) this.#startup.push({ level, note });
    this.send(level, note);
  }

  /** Replays the start-up notes to `mcp` once its client has initialized. */
  watch(mcp: McpServer): void {
    const oninitialized = mcp.server.oninitialized;
    mcp.server.oninitialized = () => {
      oninitialized?.();
      for (const { level, note } of this.#startup) this.#sendTo(mcp, level, note);
    };
  }

  /** A component was loaded (or loaded again). */
  loaded(componentId: string, stateful: boolean, tools: string[]): void {
    this.#faulted.delete(componentId);
    this.send('info', {
      event: 'component-loaded',
      component: componentId,
      stateful,
      tools,
      message: `loaded ${componentId} (${stateful ? 'stateful' : 'stateless'}): ${tools.join(', ')}`,
    });
  }

  /** A component was unloaded. */
  unloaded(componentId: string): void {
    this.#faulted.delete(componentId);
    this.send('info', {
      event: 'component-unloaded',
      component: componentId,
      message: `unloaded ${componentId}`,
    });
  }

  /** The restore skipped an entry of the component directory; `problem` says why and what to do. */
  restoreProblem(componentId: string, problem: string): void {
    this.startup('warning', {
      event: 'restore-skipped',
      component: componentId,
      message: `not restored: ${componentId}: ${problem}`,
    });
  }

  /** The sandbox refused accesses of a call; `hints` name the grant that would allow each. */
  denied(componentId: string, tool: string, hints: string[]): void {
    if (hints.length === 0) return;
    this.send('warning', {
      event: 'permission-denied',
      component: componentId,
      tool,
      hints,
      message: hints.join(' '),
    });
  }

  /** A call of `componentId` faulted: its next call gets a fresh instance. */
  fault(componentId: string, note: ClientNote): void {
    this.#faulted.add(componentId);
    this.send('warning', note);
  }

  /** A call of `componentId` ran on a fresh instance if the one before it faulted. */
  ran(componentId: string, tool: string): void {
    if (!this.#faulted.delete(componentId)) return;
    this.send('info', {
      event: 'fresh-instance',
      component: componentId,
      tool,
      message: `${componentId}: a fresh instance served ${tool} after the fault`,
    });
  }

  #sendTo(mcp: McpServer, level: LoggingLevel, note: ClientNote): void {
    if (!mcp.isConnected()) return;
    // A client that went away mid-send is not an error of the server.
    void mcp.sendLoggingMessage({ level, logger: LOGGER, data: note }).catch(() => undefined);
  }
}
