import { describe, expect, it } from 'vitest';
import { clusterSysTopics } from './sys-topics.js';

describe('cluster $SYS topics', () => {
  it('names every figure under $SYS/broker/cluster/', () => {
    const topics = Object.fromEntries(
      clusterSysTopics({
        node: 'a',
        nodes: ['a', 'b'],
        connected: true,
        subjects: 4,
        sharedGroups: 1,
        bridge: {
          sent: 10,
          received: 7,
          notSent: 2,
          refused: 1,
          sharedReceived: 3,
          sharedNoMember: 0,
          duplicates: 4,
          caughtUp: 5,
        },
        registry: { claims: 5, adopted: 1, handedOver: 2, takenOver: 0, unregistered: 1 },
        outbox: { resent: 6, queued: 7, givenUp: 8, replayed: 15 },
        sessions: {
          stored: 9,
          notStored: 10,
          storeFailed: 11,
          recordsWritten: 12,
          recovered: 13,
          recoveredMessages: 14,
        },
      }),
    );
    expect(topics).toEqual({
      '$SYS/broker/cluster/node': 'a',
      '$SYS/broker/cluster/nodes': '2',
      '$SYS/broker/cluster/nodes/list': 'a,b',
      '$SYS/broker/cluster/connected': '1',
      '$SYS/broker/cluster/routes': '4',
      '$SYS/broker/cluster/shared/groups': '1',
      '$SYS/broker/cluster/messages/sent': '10',
      '$SYS/broker/cluster/messages/received': '7',
      '$SYS/broker/cluster/messages/not-sent': '2',
      '$SYS/broker/cluster/messages/refused': '1',
      '$SYS/broker/cluster/messages/duplicates': '4',
      '$SYS/broker/cluster/messages/caught-up': '5',
      '$SYS/broker/cluster/messages/resent': '6',
      '$SYS/broker/cluster/messages/queued': '7',
      '$SYS/broker/cluster/messages/given-up': '8',
      '$SYS/broker/cluster/messages/replayed': '15',
      '$SYS/broker/cluster/messages/shared/received': '3',
      '$SYS/broker/cluster/messages/shared/no-member': '0',
      '$SYS/broker/cluster/sessions/claims': '5',
      '$SYS/broker/cluster/sessions/adopted': '1',
      '$SYS/broker/cluster/sessions/handed-over': '2',
      '$SYS/broker/cluster/sessions/taken-over': '0',
      '$SYS/broker/cluster/sessions/unregistered': '1',
      '$SYS/broker/cluster/sessions/stored-messages': '9',
      '$SYS/broker/cluster/sessions/not-stored': '10',
      '$SYS/broker/cluster/sessions/store-failed': '11',
      '$SYS/broker/cluster/sessions/recovered': '13',
      '$SYS/broker/cluster/sessions/recovered-messages': '14',
    });
  });
});
