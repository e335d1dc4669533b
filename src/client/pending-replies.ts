import { Cluster, type Redis } from 'ioredis';

interface Queued {
  command?: { promise?: Promise<unknown> };
}
interface Queue {
  toArray(): Queued[];
}

/**
 * The replies an ioredis client still owes: commands written and not answered, and commands waiting in its offline
 * queue. Read once per stage change, so a command sent under the old routing is known to have finished before the
 * new epoch is acknowledged, at no cost per command. (commandQueue is public in ioredis's types; the offline queues
 * are not, and are read the same way.)
 */
export function pendingReplies(client: Redis | Cluster): Array<Promise<unknown>> {
  const connections: Redis[] = client instanceof Cluster ? client.nodes('all') : [client];
  const queues: Array<Queue | undefined> = connections.flatMap((connection) => [
    connection.commandQueue as unknown as Queue,
    (connection as unknown as { offlineQueue?: Queue }).offlineQueue,
  ]);
  if (client instanceof Cluster) queues.push((client as unknown as { offlineQueue?: Queue }).offlineQueue);
  const replies: Array<Promise<unknown>> = [];
  for (const queue of queues) {
    for (const item of queue?.toArray() ?? []) if (item.command?.promise) replies.push(item.command.promise);
  }
  return replies;
}
