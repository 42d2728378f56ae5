import { describe, expect, it } from 'vitest';
import { deleteUser, setUserLine } from './edit.js';

describe('password file edits', () => {
  it('appends a new user and keeps every other line', () => {
    const r = setUserLine('# users\n\nalice:$6$a$b\nnot a valid line\n', 'bob', 'bob:$6$c$d');
    expect(r).toEqual({ text: '# users\n\nalice:$6$a$b\nnot a valid line\nbob:$6$c$d\n', added: true });
  });

  it('replaces a user in place and drops later duplicates that would override it', () => {
    const r = setUserLine('alice:1\nbob:2\n  alice:3\ncarol:4', 'alice', 'alice:new');
    expect(r).toEqual({ text: 'alice:new\nbob:2\ncarol:4\n', added: false });
  });

  it('keeps CRLF line endings', () => {
    expect(setUserLine('a:1\r\nb:2\r\n', 'b', 'b:3').text).toBe('a:1\r\nb:3\r\n');
  });

  it('does not mistake comments for users', () => {
    expect(setUserLine('#alice:1\n', 'alice', 'alice:2').text).toBe('#alice:1\nalice:2\n');
  });

  it('deletes every line of a user and counts them', () => {
    expect(deleteUser('a:1\nb:2\na:3\n', 'a')).toEqual({ text: 'b:2\n', removed: 2 });
    expect(deleteUser('a:1\n', 'z')).toEqual({ text: 'a:1\n', removed: 0 });
    expect(deleteUser('a:1\n', 'a')).toEqual({ text: '', removed: 1 });
  });
});
