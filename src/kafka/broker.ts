import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import { GuardstreamError } from '../errors/index.ts';
import { securityOptions } from './client.ts';
import type { KafkaSecurity } from './client.ts';
import { packageRoot } from './paths.ts';

export interface InstallOptions {
  /** Where the jars go; defaults to `.kafka/libs` under the package root. */
  libsDir?: string;
  onProgress?: (message: string) => void;
}

export interface LocalBrokerOptions {
  port: number;
  controllerPort: number;
  dataDir: string;
  heapMb?: number;
  startTimeoutMs?: number;
  /**
   * Ties the broker's life to this process: if this process dies, even by SIGKILL, the kernel
   * sends the broker SIGTERM. Tests and `guardstream up` run attached; `guardstream kafka start`
   * runs detached and leaves a pid file for `kafka stop`.
   */
  attached?: boolean;
  libsDir?: string;
  onProgress?: (message: string) => void;
  /**
   * server.properties entries set over the defaults: extra listeners (SASL_SSL, SSL) for trying
   * a client's security settings against a real broker.
   */
  serverProperties?: Readonly<Record<string, string>>;
  /** SCRAM users written into the metadata when storage is formatted (`--add-scram` values). */
  scramCredentials?: readonly string[];
}

export interface BrokerStatus {
  running: boolean;
  reachable: boolean;
  pid: number | null;
  bootstrapServers: string;
  logFile: string;
  clusterId: string | null;
  brokers: number;
}

interface PidFile {
  pid: number;
  port: number;
  controllerPort: number;
  startedAt: string;
}

const STOP_GRACE_MS = 30_000;

export function defaultLibsDir(): string {
  return join(packageRoot(), '.kafka', 'libs');
}

function pomPath(): string {
  return join(packageRoot(), 'kafka', 'pom.xml');
}

/**
 * Fetches the broker jars pinned by kafka/pom.xml once. A stamp holding the pom's hash makes a
 * second run free and a pom change refetch; jars land in a temporary folder first so an
 * interrupted download never looks complete.
 */
export function ensureKafkaInstalled(options: InstallOptions = {}): string {
  const libsDir = resolve(options.libsDir ?? defaultLibsDir());
  const pom = readFileSync(pomPath());
  const wanted = createHash('sha256').update(pom).digest('hex');
  const stampFile = join(libsDir, '.pom.sha256');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === wanted) return libsDir;

  options.onProgress?.('Fetching the Apache Kafka broker jars with Maven (once; ~55 MB)…');
  const staging = `${libsDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const result = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      pomPath(),
      'dependency:copy-dependencies',
      `-DoutputDirectory=${staging}`,
      '-DincludeScope=runtime',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (result.error !== undefined || result.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    const reason =
      result.error !== undefined
        ? `could not run mvn (${result.error.message}); install Maven and Java 17`
        : `mvn exited with ${String(result.status)}:\n${tail(`${result.stdout}${result.stderr}`, 20)}`;
    throw new GuardstreamError('GS_ERR_BROKER_INSTALL', {
      message: `Could not fetch the Kafka broker jars: ${reason}`,
    });
  }
  writeFileSync(join(staging, '.pom.sha256'), `${wanted}\n`);
  rmSync(libsDir, { recursive: true, force: true });
  mkdirSync(resolve(libsDir, '..'), { recursive: true });
  renameSync(staging, libsDir);
  options.onProgress?.(`Kafka jars ready in ${libsDir} (${readdirSync(libsDir).length - 1} jars).`);
  return libsDir;
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => {
      resolvePromise(false);
    });
    server.listen(port, host, () => {
      server.close(() => {
        resolvePromise(true);
      });
    });
  });
}

/** A port the OS says is free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolvePromise(port);
      });
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A single-node Apache Kafka (KRaft, broker + controller in one JVM) bound to 127.0.0.1, for
 * development and tests. Production points `kafka.bootstrapServers` at a real cluster.
 */
export class LocalBroker {
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly bootstrapServers: string;
  readonly logFile: string;
  private readonly heapMb: number;
  private readonly startTimeoutMs: number;
  private readonly attached: boolean;
  private readonly libsDir: string | undefined;
  private readonly onProgress: ((message: string) => void) | undefined;
  private readonly extraProperties: Readonly<Record<string, string>>;
  private readonly scramCredentials: readonly string[];
  private child: ChildProcess | undefined;

  constructor(options: LocalBrokerOptions) {
    this.port = options.port;
    this.controllerPort = options.controllerPort;
    this.dataDir = resolve(options.dataDir);
    this.bootstrapServers = `127.0.0.1:${options.port}`;
    this.logFile = join(this.dataDir, 'broker.log');
    this.heapMb = options.heapMb ?? 1024;
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.attached = options.attached ?? true;
    this.libsDir = options.libsDir;
    this.onProgress = options.onProgress;
    this.extraProperties = options.serverProperties ?? {};
    this.scramCredentials = options.scramCredentials ?? [];
  }

  private get pidFile(): string {
    return join(this.dataDir, 'broker.pid');
  }

  private get logDirs(): string {
    return join(this.dataDir, 'logs');
  }

  /** The pid of a broker started on this data folder, if it is still alive and ours. */
  runningPid(): number | null {
    if (
      this.child?.pid !== undefined &&
      this.child.exitCode === null &&
      this.child.signalCode === null
    ) {
      return this.child.pid;
    }
    if (!existsSync(this.pidFile)) return null;
    let recorded: PidFile;
    try {
      recorded = JSON.parse(readFileSync(this.pidFile, 'utf8')) as PidFile;
    } catch {
      return null;
    }
    if (!isAlive(recorded.pid)) return null;
    // Guards against pid reuse: only a JVM started on this data folder counts as ours.
    try {
      const cmdline = readFileSync(`/proc/${recorded.pid}/cmdline`, 'utf8');
      if (!cmdline.includes(this.dataDir)) return null;
    } catch {
      return null;
    }
    return recorded.pid;
  }

  async start(): Promise<void> {
    const existing = this.runningPid();
    if (existing !== null) {
      throw new GuardstreamError('GS_ERR_BROKER_START', {
        message: `A broker is already running on ${this.dataDir} (pid ${existing})`,
      });
    }
    for (const port of [this.port, this.controllerPort]) {
      if (!(await isPortFree(port))) {
        throw new GuardstreamError('GS_ERR_BROKER_START', {
          message: `Port ${port} on 127.0.0.1 is in use; choose another in kafka.embedded or stop what holds it`,
          details: { port },
        });
      }
    }
    const libsDir = ensureKafkaInstalled({
      ...(this.libsDir === undefined ? {} : { libsDir: this.libsDir }),
      ...(this.onProgress === undefined ? {} : { onProgress: this.onProgress }),
    });
    mkdirSync(this.logDirs, { recursive: true });
    const serverProperties = this.writeConfigFiles();
    this.formatStorage(libsDir, serverProperties);

    const java = [
      `-Xms${Math.min(256, this.heapMb)}m`,
      `-Xmx${this.heapMb}m`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(this.dataDir, 'log4j2.properties')}`,
      `-Dguardstream.dataDir=${this.dataDir}`,
      '-cp',
      join(libsDir, '*'),
      'kafka.Kafka',
      serverProperties,
    ];
    const out = openSync(join(this.dataDir, 'broker.out'), 'a');
    const useDeathSignal = this.attached && existsSync('/usr/bin/setpriv');
    const [command, args] = useDeathSignal
      ? ['setpriv', ['--pdeathsig', 'SIGTERM', 'java', ...java]]
      : ['java', java];
    const child = spawn(command, args, {
      detached: !this.attached,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    if (child.pid === undefined) {
      throw new GuardstreamError('GS_ERR_BROKER_START', {
        message: 'Could not spawn java; install Java 17',
      });
    }
    if (!this.attached) child.unref();
    this.child = child;
    const record: PidFile = {
      pid: child.pid,
      port: this.port,
      controllerPort: this.controllerPort,
      startedAt: new Date().toISOString(),
    };
    writeFileSync(this.pidFile, `${JSON.stringify(record)}\n`);
    this.onProgress?.(
      `Starting Kafka on ${this.bootstrapServers} (pid ${child.pid}, log ${this.logFile})…`,
    );
    try {
      await this.waitUntilReady(child);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  private writeConfigFiles(): string {
    const serverProperties = join(this.dataDir, 'server.properties');
    const properties = {
      'process.roles': 'broker,controller',
      'node.id': '1',
      'controller.quorum.bootstrap.servers': `127.0.0.1:${this.controllerPort}`,
      listeners: `PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${this.port}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'log.dirs': this.logDirs,
      'num.partitions': '1',
      'offsets.topic.replication.factor': '1',
      'offsets.topic.num.partitions': '4',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'transaction.state.log.num.partitions': '4',
      'share.coordinator.state.topic.replication.factor': '1',
      'share.coordinator.state.topic.min.isr': '1',
      // A single local node has nobody to wait for; rebalances should be immediate.
      'group.initial.rebalance.delay.ms': '0',
      // Compacted knowledge topics are the source of truth for the index: compact promptly.
      'log.cleaner.backoff.ms': '1000',
      'auto.create.topics.enable': 'true',
      ...this.extraProperties,
    };
    writeFileSync(
      serverProperties,
      `${Object.entries(properties)
        .map(([key, value]) => `${key}=${value}`)
        .join('\n')}\n`,
    );
    const logConfig = [
      'status = warn',
      'appender.file.type = RollingFile',
      'appender.file.name = file',
      `appender.file.fileName = ${this.logFile}`,
      `appender.file.filePattern = ${this.logFile}.%i`,
      'appender.file.layout.type = PatternLayout',
      'appender.file.layout.pattern = [%d] %p %m (%c)%n',
      'appender.file.policies.type = Policies',
      'appender.file.policies.size.type = SizeBasedTriggeringPolicy',
      'appender.file.policies.size.size = 10MB',
      'appender.file.strategy.type = DefaultRolloverStrategy',
      'appender.file.strategy.max = 3',
      'rootLogger.level = info',
      'rootLogger.appenderRef.file.ref = file',
    ];
    writeFileSync(join(this.dataDir, 'log4j2.properties'), `${logConfig.join('\n')}\n`);
    return serverProperties;
  }

  private formatStorage(libsDir: string, serverProperties: string): void {
    if (existsSync(join(this.logDirs, 'meta.properties'))) return;
    // Kafka cluster ids are 16 random bytes in URL-safe base64 (22 characters).
    const clusterId = randomBytes(16).toString('base64url');
    // `=` keeps an id that starts with "-" from being read as an option.
    const result = spawnSync(
      'java',
      [
        `-Dlog4j2.configurationFile=${join(this.dataDir, 'log4j2.properties')}`,
        '-cp',
        join(libsDir, '*'),
        'kafka.tools.StorageTool',
        'format',
        '--standalone',
        `--cluster-id=${clusterId}`,
        ...this.scramCredentials.flatMap((credential) => ['--add-scram', credential]),
        '-c',
        serverProperties,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (result.error !== undefined || result.status !== 0) {
      throw new GuardstreamError('GS_ERR_BROKER_START', {
        message: `Formatting KRaft storage failed: ${result.error?.message ?? tail(`${result.stdout}${result.stderr}`, 20)}`,
      });
    }
  }

  private async waitUntilReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new GuardstreamError('GS_ERR_BROKER_START', {
          message: `The broker exited during start-up (${String(child.exitCode ?? child.signalCode)}). Last log lines:\n${this.logTail(30)}`,
        });
      }
      const status = await probeMetadata(this.bootstrapServers, 2_000);
      if (status.reachable) return;
      lastError = status.error;
      await sleep(250);
    }
    throw new GuardstreamError('GS_ERR_BROKER_START', {
      message: `The broker did not answer metadata requests within ${this.startTimeoutMs} ms (${String(lastError)}). Last log lines:\n${this.logTail(30)}`,
    });
  }

  logTail(lines: number): string {
    for (const file of [this.logFile, join(this.dataDir, 'broker.out')]) {
      if (existsSync(file)) {
        const text = readFileSync(file, 'utf8');
        if (text.trim() !== '') return tail(text, lines);
      }
    }
    return '(no log output)';
  }

  /** Stops the broker gracefully (SIGTERM), escalating to SIGKILL after a grace period. */
  async stop(): Promise<boolean> {
    const pid = this.runningPid();
    if (pid === null) {
      rmSync(this.pidFile, { force: true });
      return false;
    }
    signal(pid, 'SIGTERM');
    const deadline = Date.now() + STOP_GRACE_MS;
    while (isAlive(pid) && !this.childExited() && Date.now() < deadline) await sleep(100);
    if (isAlive(pid) && !this.childExited()) {
      signal(pid, 'SIGKILL');
      while (isAlive(pid) && !this.childExited()) await sleep(50);
    }
    this.child = undefined;
    rmSync(this.pidFile, { force: true });
    return true;
  }

  /**
   * Lets this process exit while the broker runs (it is then stopped by an exit handler or by
   * the parent-death signal); used when a lone test file starts its own broker.
   */
  unref(): void {
    this.child?.unref();
  }

  /** Synchronous last resort for exit handlers, where nothing asynchronous runs any more. */
  killNow(): void {
    const pid = this.runningPid();
    if (pid !== null) signal(pid, 'SIGKILL');
    rmSync(this.pidFile, { force: true });
  }

  private childExited(): boolean {
    // An attached child is reaped by Node; until then it is a zombie that `kill 0` still sees.
    return (
      this.child !== undefined && (this.child.exitCode !== null || this.child.signalCode !== null)
    );
  }

  async status(): Promise<BrokerStatus> {
    const pid = this.runningPid();
    const probe = await probeMetadata(this.bootstrapServers, 2_000);
    return {
      running: pid !== null,
      reachable: probe.reachable,
      pid,
      bootstrapServers: this.bootstrapServers,
      logFile: this.logFile,
      clusterId: probe.clusterId,
      brokers: probe.brokers,
    };
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone: that is what we wanted.
  }
}

export interface MetadataProbe {
  reachable: boolean;
  clusterId: string | null;
  brokers: number;
  error?: unknown;
}

/** Asks a cluster for metadata once; never throws. */
export async function probeMetadata(
  bootstrapServers: string | readonly string[],
  timeoutMs: number,
  security: KafkaSecurity = {},
): Promise<MetadataProbe> {
  const admin = new Admin({
    clientId: 'guardstream-probe',
    bootstrapBrokers:
      typeof bootstrapServers === 'string' ? [bootstrapServers] : [...bootstrapServers],
    retries: 0,
    timeout: timeoutMs,
    connectTimeout: timeoutMs,
    ...securityOptions(security),
  });
  try {
    const metadata = await admin.metadata({ topics: [], forceUpdate: true });
    return {
      reachable: metadata.brokers.size > 0,
      clusterId: metadata.id,
      brokers: metadata.brokers.size,
    };
  } catch (error) {
    return { reachable: false, clusterId: null, brokers: 0, error };
  } finally {
    await admin.close().catch(() => undefined);
  }
}
