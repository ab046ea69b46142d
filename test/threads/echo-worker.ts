// Fixture for threads.test.ts: posts back what it was given, doubled.
import { parentPort, workerData } from 'node:worker_threads';

parentPort?.postMessage((workerData as number) * 2);
