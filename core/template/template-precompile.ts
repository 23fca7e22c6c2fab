import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, isMainThread, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { TemplateEnvironment, type SourceText } from './environment.js';

/**
 * Template code generated ahead, on a second core. On a project's first compile (no
 * target/partial/templates.json) every template has to go through nunjucks' lexer, parser and
 * code generator: about 0.5 s on 10,000 models, all on the main thread. Started as soon as the
 * SQL files are read, a worker thread does that while the main thread parses the YAML property
 * files and collects the nodes; the renders then load the generated code in one script.
 *
 * The worker is best effort: a template it could not compile (a syntax error) is left out and
 * compiled, and reported with its line, on the main thread as before; if the worker cannot start
 * or fails, every template is compiled there.
 */
export class PrecompiledTemplates {
  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly done: Int32Array,
  ) {}

  /** Templates to compile at least, below which a worker (about 50 ms to start) is not worth it. */
  static readonly THRESHOLD = 500;

  /** Starts compiling `sources` in a worker, or returns undefined when none can run here. */
  static start(sources: readonly SourceText[]): PrecompiledTemplates | undefined {
    // The worker runs the compiled module; from TypeScript sources (tests) there is none.
    if (!WORKER_FILE || !existsSync(WORKER_FILE)) return undefined;
    try {
      const channel = new MessageChannel();
      const done = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(WORKER_FILE, {
        workerData: { sources, port: channel.port2, done } satisfies WorkerInput,
        transferList: [channel.port2],
        stdout: false,
        stderr: false,
      });
      worker.unref();
      // An error in the worker only means the main thread compiles everything itself.
      worker.on('error', () => undefined);
      return new PrecompiledTemplates(worker, channel.port1, done);
    } catch {
      return undefined;
    }
  }

  private taken = false;

  /**
   * The generated code per template hash, waiting (synchronously: compiling is synchronous)
   * for the worker to finish; empty if it failed or took implausibly long. Once only.
   */
  take(): Record<string, string> {
    if (this.taken) return {};
    this.taken = true;
    Atomics.wait(this.done, 0, 0, WAIT_LIMIT_MS);
    const message = receiveMessageOnPort(this.port);
    this.port.close();
    void this.worker.terminate();
    return (message?.message as Record<string, string> | undefined) ?? {};
  }

  /** Stops the worker when its code is not needed after all (every render came from the cache). */
  discard(): void {
    if (this.taken) return;
    this.taken = true;
    this.port.close();
    void this.worker.terminate();
  }
}

interface WorkerInput {
  sources: readonly SourceText[];
  port: MessagePort;
  done: Int32Array;
}

/** Far above the half second 10,000 templates take: only a stuck worker ever reaches it. */
const WAIT_LIMIT_MS = 60_000;

const WORKER_FILE = import.meta.url.endsWith('.js') ? fileURLToPath(import.meta.url) : undefined;

// In the worker (and only one started by start(): test runners run workers of their own).
if (!isMainThread && (workerData as WorkerInput | undefined)?.done instanceof Int32Array) {
  const { sources, port, done } = workerData as WorkerInput;
  const code: Record<string, string> = {};
  try {
    const environment = new TemplateEnvironment('precompile');
    for (const source of sources) {
      const generated = environment.generateCode(source);
      if (generated) code[generated.hash] = generated.code;
    }
  } finally {
    port.postMessage(code);
    Atomics.store(done, 0, 1);
    Atomics.notify(done, 0);
  }
}
