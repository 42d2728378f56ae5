/** The --help texts of the commands this package implements itself (pub and sub print their own). */

export const MAIN_HELP = `midge: an MQTT 3.1/3.1.1/5.0 broker, and the tools around it

Usage:
  midge [broker] [options]         run the broker (the default command)
  midge pub -t TOPIC -m MESSAGE    publish a message
  midge sub -t FILTER              subscribe and print messages
  midge passwd [-H TYPE] [-c] [-b|-D] FILE USER [PASSWORD] | -U FILE
                                   add, change or delete a user in a password file
  midge store inspect|compact      look into the broker's store, or shrink its file
  midge ctl stats|clients|kick|sessions|delete-session|retained
                                   a running broker's admin API (@midge/plugin-admin)

Commands:
  broker   run the broker (see 'midge broker --help')
  pub      publish (see 'midge pub --help')
  sub      subscribe (see 'midge sub --help')
  passwd   manage a password file for @midge/plugin-auth-file (see 'midge passwd --help')
  store    inspect or compact the broker's store (see 'midge store --help')
  ctl      ask a running broker through its admin API (see 'midge ctl --help')

Options:
  -h, --help      show this help
  -V, --version   print the version

With no command, midge runs the broker: 'midge -c broker.yaml' is 'midge broker -c broker.yaml'.
`;

export const BROKER_HELP = `Usage: midge [broker] [-c FILE] [-p PORT] [--host ADDR] [--data-dir DIR | --in-memory]
                      [-v | --log-level LEVEL] [--check]

Runs an MQTT broker in the foreground. Without -c it runs the default config: a tcp listener
'default' on 127.0.0.1:1883 (this machine only; --host 0.0.0.0 opens it), the event and packet
loggers, anonymous access allowed, $SYS every 20 s,
and its state (persistent sessions, queued and in-flight messages, retained messages, wills) kept
in ./midge-data, written as it changes: a QoS 1/2 message is on disk before it is acknowledged.
With -c, the config's 'persistence:' decides (none: state in memory only).
aMQTT config files run unchanged (old spellings are translated, with a warning naming the new one).

Options:
  -c, --config FILE      YAML config file (relative paths in it start from its folder)
  -p, --port PORT        port of the 'default' listener (0 picks a free one)
      --host ADDR        address the 'default' listener binds (e.g. 127.0.0.1, ::1)
      --data-dir DIR     keep the state in DIR (from the working directory): instead of ./midge-data,
                         or of the config's persistence.path; turns persistence on for a config without it
      --in-memory        keep the state in memory only, lost when the broker stops (throwaway runs)
  -v, --verbose          log at debug level (same as --log-level debug)
      --log-level LEVEL  trace, debug, info, warn, error, fatal or silent (overrides log_level)
      --check            do everything a start does short of binding, then exit: validate the config,
                         read the listeners' TLS files (certificate and key match, CA files parse), resolve
                         every plugin, validate its options and run its checks (password file), check that
                         the data directory can be written and that its store opens (read-only)
  -h, --help             show this help
  -V, --version          print the version

Logs go to stdout: readable lines on a terminal, JSON lines otherwise. At start a 'persistence:'
record names the store and its directory, and one 'listening' record per listener gives its name,
type, host and port.

Signals:
  SIGINT, SIGTERM   graceful shutdown (at most 10 s, then exit 1); a second signal exits at once
  SIGHUP            reopen the log file and reload the config file, checked as --check does: plugins
                    whose options changed are set up again (the others re-read their files), listeners
                    added or removed (its clients disconnected), TLS certificates for new handshakes, log
                    level; one log line per change; what needs a restart is logged as such; a config with
                    errors changes nothing (each error logged); other clients stay connected
  SIGUSR1           reopen the log file (log: { file } in the config), for logrotate

Exit codes: 0 stopped cleanly or config OK, 1 config/plugin/store/runtime failure, 2 command-line mistake.

Examples:
  midge                            # default config, port 1883, state in ./midge-data
  midge -p 1884 --host 127.0.0.1   # default config, local only, port 1884
  midge --data-dir /var/lib/midge  # default config, state in /var/lib/midge
  midge --in-memory                # default config, nothing written to disk
  midge -c broker.yaml             # your config
  midge -c broker.yaml --check     # list every problem of broker.yaml, start nothing
`;

export const PASSWD_HELP = `Usage:
  midge passwd [-H TYPE] [-c] FILE USER              prompt for USER's password (twice on a terminal)
  midge passwd [-H TYPE] [-c] -b FILE USER PASSWORD  batch mode: the password on the command line
  midge passwd -D FILE USER                          delete USER
  midge passwd [-H TYPE] -U FILE                     hash the plain-text passwords of FILE

Adds or changes a user in a password file for @midge/plugin-auth-file (like mosquitto_passwd).
Passwords are stored as SHA-512 crypt hashes ($6$), or as -H says. Other lines and comments are kept
as they are; a new file is created with mode 0600. Without a terminal, the password is the first line
of stdin.

Options:
  -c, --create    create FILE, or overwrite it if it exists (it then holds only USER)
  -b, --batch     take the password from the command line (visible in 'ps' and shell history)
  -D, --delete    delete USER from FILE
  -U, --upgrade   hash every plain-text password in FILE (user:password lines) in place; lines holding a
                  hash already are left as they are (hashing a hash would lock the user out)
  -H, --hash-type TYPE
                  how to hash the password:
                    sha512-crypt   (default) $6$, SHA-512 crypt, 5000 rounds, as mkpasswd -m sha-512
                    sha512-pbkdf2  $7$, Mosquitto 2's format (PBKDF2-SHA512, 101 iterations): for a
                                   file Mosquitto reads too
                    sha512         $6$, Mosquitto 1.x's single salted SHA-512: only for Mosquitto 1.x,
                                   the cheapest to crack
                    argon2id       $argon2id$, memory-hard (64 MiB, 3 passes): the strongest against
                                   guessing; aMQTT 0.12 writes and reads it too
                  The broker reads all four (and bcrypt $2b$), and files mixing them.
  -h, --help      show this help
  -V, --version   print the version

Exit codes: 0 done, 1 failure (unreadable file, unknown user for -D, passwords differ), 2 usage mistake.

Examples:
  midge passwd -c passwords alice                 # new file, prompts for alice's password
  midge passwd -b passwords bob 's3cret'          # add or change bob
  echo 's3cret' | midge passwd passwords carol    # password from stdin
  midge passwd -D passwords bob                   # delete bob
  midge passwd -U passwords                       # hash a file written by hand as user:password
  midge passwd -H sha512-pbkdf2 -b passwords eve 'pw'   # a line Mosquitto 2 reads too
`;

export const STORE_HELP = `Usage:
  midge store inspect [--data-dir DIR | -c FILE] [--json] [--client ID | --retained FILTER]
  midge store compact [--data-dir DIR | -c FILE]

The broker's store, as 'midge' finds it: ./midge-data without -c, the config's 'persistence:'
with -c, DIR with --data-dir (in place of the config's path, from the working directory).

inspect  prints what the store holds: totals (sessions, queued and in-flight messages, inbound
         QoS 2 ids, wills, retained messages and their bytes), then every session (client id,
         owner, MQTT version, expiry interval, subscriptions, queue depth, in-flight messages,
         connected or disconnected since when), the wills (a delayed one with its due time) and
         the retained messages (topic, QoS, payload size, expiry). It opens the store read-only:
         it takes no lock and writes nothing, so it is safe next to a running broker.
         'connected' means a client was connected when the store was last written.
compact  rewrites the store's data file without the space of deleted records (LMDB reuses that
         space but never gives it back to the file system) and prints the sizes before and after.
         It takes the store's lock: it refuses while a broker uses the directory. The old file
         is replaced only once the compacted one is complete. @midge/persistence-lmdb stores only.

Options:
  -c, --config FILE      the broker's YAML config: its 'persistence:' names the store
      --data-dir DIR     the data directory (default ./midge-data, or the config's persistence.path)
      --json             (inspect) JSON for programs: times in ISO 8601, sizes in bytes
      --client ID        (inspect) one session in detail: subscriptions with their options,
                         in-flight messages, inbound QoS 2 ids, the 20 oldest queued messages, its will
      --retained FILTER  (inspect) list only the retained messages whose topic matches FILTER
  -h, --help             show this help
  -V, --version          print the version

Exit codes: 0 done, 1 failure (no store there, store in use by a broker for compact, unknown
client id), 2 command-line mistake.

Examples:
  midge store inspect                                # the store in ./midge-data
  midge store inspect --data-dir /var/lib/midge --client alice-laptop
  midge store inspect -c broker.yaml --retained 'sensors/#'
  midge store inspect --json | jq '.sessions[] | select(.queued > 1000) | .clientId'
  midge store compact --data-dir /var/lib/midge      # with that broker stopped
`;

export const CTL_HELP = `Usage: midge ctl COMMAND [options]

Asks a running broker through the admin API of @midge/plugin-admin (its token_file turns the API on).
Prints tables on a terminal, JSON otherwise or with --json.

Commands:
  stats                    version, uptime, connections per listener, sessions, message and byte counts
  clients                  connected clients, sorted by client id
                             --prefix P     client ids starting with P
                             -u, --username U
                             --listener L
  client CLIENT_ID         one session in detail: connection, subscriptions, queued and inflight messages
  kick CLIENT_ID           close a client's connection (v5: DISCONNECT 0x98); its will is published,
                           its persistent session stays
  sessions                 sessions, connected or not: subscriptions, queued and inflight messages
                             --prefix P, --connected or --offline
  delete-session CLIENT_ID delete an offline session (as its expiry would); refused while its client
                           is connected: kick it first
  retained [FILTER]        retained messages whose topics match FILTER (default '#')
  reload                   reload the broker's config as SIGHUP does; prints what changed (exit 1 when
                           the config has errors and nothing changed, or a part failed)

Options:
  --url URL                the admin server (default ${'$'}MIDGE_ADMIN_URL, else http://127.0.0.1:9234)
  --token-file FILE        a file whose first line is the token (default ${'$'}MIDGE_ADMIN_TOKEN_FILE)
  --token TOKEN            the token itself (default ${'$'}MIDGE_ADMIN_TOKEN; a flag shows in 'ps', prefer a file)
  --json                   JSON output on a terminal too
  --limit N, --offset N    page through clients, sessions and retained (limit 1-1000, default 100)
  --timeout SECONDS        give up on the request after this long (default 10)
  -h, --help               show this help
  -V, --version            print the version

Exit status: 0 done, 1 the API answered an error or could not be reached (said on stderr), 2 usage error.

Examples:
  midge ctl stats --token-file /etc/midge/admin.token
  midge ctl clients --prefix sensor- --json | jq -r '.clients[].clientId'
  midge ctl kick alice-laptop
  midge ctl retained 'home/#'
`;
