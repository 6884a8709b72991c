import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type CommandRunner, parsePublishedPort, startDockerKafka } from './docker-kafka.js';

/** Records the commands the Docker branch runs and answers them from a script. */
function scriptedDocker(answers: Record<string, string | Error>): {
  run: CommandRunner;
  commands: string[];
} {
  const commands: string[] = [];
  const run: CommandRunner = async (command, args) => {
    const line = [command, ...args].join(' ');
    commands.push(line);
    const key = Object.keys(answers).find((prefix) => line.includes(prefix));
    const answer = key === undefined ? '' : answers[key];
    if (answer instanceof Error) throw answer;
    return answer ?? '';
  };
  return { run, commands };
}

describe('startDockerKafka', () => {
  let repositoryRoot: string;
  const notes: string[] = [];
  const log = (message: string) => notes.push(message);

  beforeEach(async () => {
    repositoryRoot = await mkdtemp(join(tmpdir(), 'harness-docker-'));
    notes.length = 0;
  });
  afterEach(() => rm(repositoryRoot, { recursive: true, force: true }));

  it('falls through without touching Compose when no Docker engine answers', async () => {
    const docker = scriptedDocker({
      'docker info': new Error('Cannot connect to the Docker daemon'),
    });

    await expect(
      startDockerKafka({ repositoryRoot, log, run: docker.run }),
    ).resolves.toBeUndefined();
    expect(docker.commands).toEqual(['docker info --format {{.ServerVersion}}']);
  });

  it('falls through when the repository has no compose file', async () => {
    const docker = scriptedDocker({ 'docker info': '27.0.1' });

    await expect(
      startDockerKafka({ repositoryRoot, log, run: docker.run }),
    ).resolves.toBeUndefined();
    expect(notes.join('\n')).toContain('no compose file');
  });

  it('falls through when the compose file has no kafka service', async () => {
    await writeFile(join(repositoryRoot, 'compose.yaml'), 'services: {}\n');
    const docker = scriptedDocker({
      'docker info': '27.0.1',
      'config --services': 'postgres\ngateway\n',
    });

    await expect(
      startDockerKafka({ repositoryRoot, log, run: docker.run }),
    ).resolves.toBeUndefined();
    expect(docker.commands.some((command) => command.includes(' up '))).toBe(false);
  });

  it('starts the kafka service and returns its published address', async () => {
    await writeFile(join(repositoryRoot, 'docker-compose.yml'), 'services: {}\n');
    const docker = scriptedDocker({
      'docker info': '27.0.1',
      'config --services': 'kafka\npostgres\n',
      ' port kafka 9092': '0.0.0.0:19092\n',
    });
    const probed: string[][] = [];

    const brokers = await startDockerKafka({
      repositoryRoot,
      log,
      run: docker.run,
      isReachable: async (candidates) => (probed.push([...candidates]), true),
    });

    expect(brokers).toEqual(['127.0.0.1:19092']);
    expect(docker.commands).toContain(
      `docker compose --file ${join(repositoryRoot, 'docker-compose.yml')} up --detach --wait kafka`,
    );
    expect(probed).toEqual([['127.0.0.1:19092']]);
  });

  it('falls through with a note when Compose fails to start the service', async () => {
    await writeFile(join(repositoryRoot, 'compose.yaml'), 'services: {}\n');
    const docker = scriptedDocker({
      'docker info': '27.0.1',
      'config --services': 'kafka\n',
      ' up ': new Error('pull access denied'),
    });

    await expect(
      startDockerKafka({ repositoryRoot, log, run: docker.run }),
    ).resolves.toBeUndefined();
    expect(notes.join('\n')).toContain('pull access denied');
  });
});

describe('parsePublishedPort', () => {
  it('reads IPv4 and IPv6 forms of `docker compose port`', () => {
    expect(parsePublishedPort('0.0.0.0:19092\n')).toBe(19092);
    expect(parsePublishedPort('[::]:29092')).toBe(29092);
  });

  it('rejects output without a port', () => {
    expect(() => parsePublishedPort('')).toThrow('unexpected');
  });
});
