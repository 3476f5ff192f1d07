package labs.sandwich.puck.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import labs.sandwich.puck.api.IllegalSpriteStateException;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.StoreCorruptedException;
import labs.sandwich.puck.api.StoreException;
import labs.sandwich.puck.api.StoreLockedException;
import labs.sandwich.puck.api.StoreVersionException;
import labs.sandwich.puck.api.Why;
import labs.sandwich.puck.spi.BackendState;
import org.jspecify.annotations.Nullable;
import org.sqlite.SQLiteConfig;

/**
 * Puck's durable state in one SQLite file: sprites, the journal of their state changes,
 * snapshots, runtimes' own key-values and leases. Every process using the file shares it
 * safely: WAL mode, a busy timeout, and every write in a {@code BEGIN IMMEDIATE} transaction,
 * so two writers queue for the lock instead of deadlocking on an upgrade.
 *
 * <p>The schema is versioned ({@code PRAGMA user_version}) and migrated forward one version per
 * transaction; a file from a newer Puck is refused before anything is written. The file is
 * never deleted or rewritten to get past an error.
 *
 * <p>Every method blocks, for at most the busy timeout when another process holds the write
 * lock, and throws {@link StoreLockedException} after it; other SQLite failures are
 * {@link StoreException}s. Thread-safe: one connection, used under a lock.
 */
public final class StateStore implements AutoCloseable {
    /** The schema version this Puck writes and understands. */
    public static final int SCHEMA_VERSION = 4;
    /** How long a call waits for another process's write lock unless told otherwise. */
    static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(5);

    /** {@code MIGRATIONS.get(v)} takes the schema from version {@code v} to {@code v + 1}. */
    private static final List<List<String>> MIGRATIONS = List.of(List.of(
            """
            CREATE TABLE sprites(name TEXT PRIMARY KEY, runtime TEXT NOT NULL, state TEXT NOT NULL, spec_json TEXT NOT NULL,
                created_at TEXT NOT NULL, state_since TEXT NOT NULL)""",
            """
            CREATE TABLE journal(id INTEGER PRIMARY KEY AUTOINCREMENT, sprite TEXT NOT NULL, operation TEXT NOT NULL,
                from_state TEXT NOT NULL, during_state TEXT NOT NULL, to_state TEXT, started_at TEXT NOT NULL, ended_at TEXT,
                outcome TEXT, detail TEXT NOT NULL, pid INTEGER NOT NULL)""",
            "CREATE INDEX journal_unfinished ON journal(id) WHERE ended_at IS NULL",
            "CREATE INDEX journal_by_sprite ON journal(sprite, id)",
            """
            CREATE TABLE snapshots(id TEXT PRIMARY KEY, sprite TEXT NOT NULL, label TEXT NOT NULL, created_at TEXT NOT NULL,
                size_bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, contents TEXT NOT NULL)""",
            "CREATE INDEX snapshots_by_sprite ON snapshots(sprite, created_at)",
            "CREATE TABLE backend_state(owner TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(owner, key))",
            "CREATE TABLE leases(name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TEXT NOT NULL)"),
            List.of( // 2: activity, holds (sessions and keep-alives), the archive tier's due time
                    "ALTER TABLE sprites ADD COLUMN archive_at TEXT",
                    "CREATE INDEX sprites_by_state ON sprites(state)",
                    "CREATE TABLE activity(sprite TEXT PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL)",
                    """
                    CREATE TABLE holds(id INTEGER PRIMARY KEY AUTOINCREMENT, sprite TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL,
                        pid INTEGER NOT NULL, since TEXT NOT NULL, until TEXT)""",
                    "CREATE INDEX holds_by_sprite ON holds(sprite)"),
            List.of( // 3: exposed ports, published by the ingress and followed by the activator
                    """
                    CREATE TABLE exposures(sprite TEXT NOT NULL, port INTEGER NOT NULL, mode TEXT NOT NULL, is_primary INTEGER NOT NULL,
                        url TEXT NOT NULL, PRIMARY KEY(sprite, port))"""),
            List.of( // 4: raw TCP ports on the host, and each sprite's <name>.internal address
                    """
                    CREATE TABLE tcp_exposures(sprite TEXT NOT NULL, port INTEGER NOT NULL, bind TEXT NOT NULL, host_port INTEGER NOT NULL,
                        mode TEXT NOT NULL, PRIMARY KEY(bind, host_port))""",
                    "CREATE TABLE internal_addresses(sprite TEXT PRIMARY KEY, address TEXT NOT NULL UNIQUE)"));

    /**
     * Timestamps are UTC ISO-8601 text with all nine fraction digits: readable in {@code sqlite3},
     * lossless for {@link Instant}, and fixed-width, so SQL compares them in time order.
     */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);
    private static final String DELETED = SpriteState.DELETED.name();

    private final Path file;
    private final Clock clock;
    private final Duration busyTimeout;
    private final Connection db;
    private final ReentrantLock lock = new ReentrantLock(); // not synchronized: waiting virtual threads must not pin carriers on Java 21
    private final BackendState backendState = new Backend();

    private StateStore(Path file, Clock clock, Duration busyTimeout, Connection db) {
        this.file = file;
        this.clock = clock;
        this.busyTimeout = busyTimeout;
        this.db = db;
    }

    /** @return {@code $XDG_DATA_HOME/puck/puck.db}, else {@code ~/.local/share/puck/puck.db} */
    public static Path defaultFile() {
        return defaultFile(System::getenv, System.getProperty("user.home"));
    }

    static Path defaultFile(UnaryOperator<@Nullable String> env, String home) {
        String xdg = env.apply("XDG_DATA_HOME");
        // The XDG spec says a relative value is invalid and must be ignored.
        Path base = xdg != null && Path.of(xdg).isAbsolute() ? Path.of(xdg) : Path.of(home, ".local", "share");
        return base.resolve("puck").resolve("puck.db");
    }

    /**
     * Opens a store, creating the file and its directories if absent, and migrates it to
     * {@link #SCHEMA_VERSION}. Waits at most 5 s for another process's lock.
     *
     * @param file  the SQLite file
     * @param clock the clock for the timestamps the store writes and for lease expiry
     * @return the open store; close it
     * @throws StoreCorruptedException if the file is not a readable SQLite database
     * @throws StoreVersionException   if a newer Puck wrote it
     * @throws StoreLockedException    if another process held it locked for longer than the busy timeout
     * @throws StoreException          if it or its directory cannot be created or written
     */
    public static StateStore open(Path file, Clock clock) {
        return open(file, clock, DEFAULT_BUSY_TIMEOUT);
    }

    /** As {@link #open(Path, Clock)}, waiting at most {@code busyTimeout} for a lock (tests use a short one). */
    static StateStore open(Path file, Clock clock, Duration busyTimeout) {
        Path abs = file.toAbsolutePath();
        try {
            Files.createDirectories(abs.getParent());
        } catch (IOException e) {
            throw new StoreException(abs, "its directory " + abs.getParent() + " cannot be created (" + e + ").",
                    "Create it or make its parent writable, or choose another store with Puck.builder().store(path) or PUCK_STORE.", e);
        }
        if (Files.exists(abs) && !Files.isRegularFile(abs)) {
            throw new StoreException(abs, "it exists but is not a regular file.",
                    "Point Puck at a file, e.g. " + abs.resolve("puck.db") + ", with Puck.builder().store(path) or PUCK_STORE.", null);
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, busyTimeout.toMillis()));
        config.enforceForeignKeys(true);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL); // in WAL: a crashed process loses nothing, a power cut at most the last commits
        Connection db;
        try {
            db = config.createConnection("jdbc:sqlite:" + abs);
        } catch (SQLException e) {
            throw translate(abs, busyTimeout, e);
        }
        StateStore store = new StateStore(abs, clock, busyTimeout, db);
        try {
            store.prepare();
            return store;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Reads and checks first; only then writes (WAL mode, migrations), so a refused file is left as it was. */
    private void prepare() {
        long deadline = System.nanoTime() + busyTimeout.toNanos();
        for (long pause = 5; ; pause = Math.min(100, pause * 2)) {
            try {
                check();
                break;
            } catch (StoreLockedException e) {
                // Switching a new file to WAL needs it alone for a moment, and SQLite answers BUSY at once,
                // without its busy handler, while another process is opening it too: wait as the handler would.
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
        int version;
        do {
            version = write(this::migrateOneVersion);
        } while (version < SCHEMA_VERSION);
    }

    private void check() {
        sql(() -> {
            try (Statement st = db.createStatement()) {
                requireKnown(userVersion(st));
                try (ResultSet rs = st.executeQuery("PRAGMA quick_check")) {
                    // A truncated file can have a fine header; this reads every page once.
                    if (!"ok".equals(rs.getString(1))) {
                        throw new StoreCorruptedException(file, "integrity check: " + rs.getString(1), null);
                    }
                }
                st.execute("PRAGMA journal_mode=WAL");
            }
            return null;
        });
    }

    /**
     * Migrates from the version it finds, re-read under the write lock so that two processes
     * opening a new file at once migrate it once.
     *
     * @return the version now
     */
    private int migrateOneVersion() throws SQLException {
        try (Statement st = db.createStatement()) {
            int version = userVersion(st);
            requireKnown(version);
            if (version == SCHEMA_VERSION) {
                return version;
            }
            for (String step : MIGRATIONS.get(version)) {
                st.execute(step);
            }
            st.execute("PRAGMA user_version = " + (version + 1));
            return version + 1;
        }
    }

    private static int userVersion(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("PRAGMA user_version")) {
            return rs.getInt(1);
        }
    }

    private void requireKnown(int version) {
        if (version > SCHEMA_VERSION) {
            throw new StoreVersionException(file, version, SCHEMA_VERSION);
        }
    }

    /** @return the store file, absolute */
    public Path file() {
        return file;
    }

    // ---- sprites ----

    /**
     * Records a new sprite. A {@link SpriteState#DELETED} row of the same name (left by a crash
     * between a delete's end and its removal) is replaced.
     *
     * @param r the sprite
     * @throws SpriteAlreadyExistsException if a live sprite has that name; nothing changes
     */
    public void insertSprite(SpriteRecord r) {
        write(() -> {
            if (!query("SELECT 1 FROM sprites WHERE name = ? AND state <> ?", rs -> 1, r.name(), DELETED).isEmpty()) {
                throw new SpriteAlreadyExistsException(r.name());
            }
            update("INSERT OR REPLACE INTO sprites(name, runtime, state, spec_json, created_at, state_since) VALUES (?,?,?,?,?,?)",
                    r.name(), r.runtime(), r.state().name(), SpecCodec.toJson(r.spec()), time(r.createdAt()), time(r.stateSince()));
            return null;
        });
    }

    /**
     * @param name a sprite
     * @return its record, unless absent or {@link SpriteState#DELETED}
     * @throws StoreCorruptedException if its stored spec cannot be read
     */
    public Optional<SpriteRecord> sprite(String name) {
        return read(() -> query("SELECT * FROM sprites WHERE name = ? AND state <> ?", this::spriteRow, name, DELETED).stream().findFirst());
    }

    /**
     * @return every sprite but {@link SpriteState#DELETED} ones, by name
     * @throws StoreCorruptedException if a stored spec cannot be read
     */
    public List<SpriteRecord> sprites() {
        return read(() -> query("SELECT * FROM sprites WHERE state <> ? ORDER BY name", this::spriteRow, DELETED));
    }

    /**
     * Sets a sprite's state, and its {@code stateSince} to now, without a journal entry: for
     * reconciliation, which reports what the runtime already did.
     *
     * @param name  a sprite
     * @param state its state
     * @throws SpriteNotFoundException if it is absent or {@link SpriteState#DELETED}
     */
    public void setState(String name, SpriteState state) {
        write(() -> {
            if (update("UPDATE sprites SET state = ?, state_since = ? WHERE name = ? AND state <> ?", state.name(), now(), name, DELETED) == 0) {
                throw new SpriteNotFoundException(name);
            }
            return null;
        });
    }

    /**
     * Removes a sprite's record and its {@link #backendState()}; its journal and snapshot
     * records stay. Absent sprites are ignored.
     *
     * @param name a sprite
     */
    public void removeSprite(String name) {
        write(() -> {
            update("DELETE FROM sprites WHERE name = ?", name);
            update("DELETE FROM backend_state WHERE owner = ?", name);
            update("DELETE FROM activity WHERE sprite = ?", name);
            update("DELETE FROM holds WHERE sprite = ?", name);
            update("DELETE FROM exposures WHERE sprite = ?", name);
            update("DELETE FROM tcp_exposures WHERE sprite = ?", name); // its internal address stays until the host gives it up
            return null;
        });
    }

    // ---- journal ----

    /**
     * Journals the start of a state change and moves the sprite from {@code from} to
     * {@code during}, in one transaction, before the runtime is called: a crash after this
     * leaves an {@link #unfinished()} entry for reconciliation. It is a compare-and-set: of
     * several processes trying the same change, one wins.
     *
     * @param sprite    the sprite
     * @param operation what is done, e.g. {@code hibernate}
     * @param from      the state it must be in
     * @param during    its state while the operation runs
     * @param detail    what is worth keeping about it (a snapshot id, an image, a cause); may be empty
     * @return the entry's id, for {@link #end}
     * @throws SpriteNotFoundException      if the sprite is absent or {@link SpriteState#DELETED}; nothing is written
     * @throws IllegalSpriteStateException if it is not in {@code from} (another process changed it); nothing is written
     */
    public long begin(String sprite, String operation, SpriteState from, SpriteState during, String detail) {
        return write(() -> {
            long id = claim(sprite, operation, from, during, detail);
            if (id < 0) {
                throw new IllegalSpriteStateException(sprite, stateOf(sprite), operation,
                        "Another process changed it while this one was about to " + operation + " it; check its state and retry.");
            }
            return id;
        });
    }

    /**
     * As {@link #begin}, for callers that handle losing the race themselves.
     *
     * @return the entry's id, or empty if the sprite is not in {@code from}
     * @throws SpriteNotFoundException if the sprite is absent or {@link SpriteState#DELETED}
     */
    public Optional<Long> tryBegin(String sprite, String operation, SpriteState from, SpriteState during, String detail) {
        return write(() -> {
            long id = claim(sprite, operation, from, during, detail);
            return id < 0 ? Optional.empty() : Optional.of(id);
        });
    }

    /**
     * @param sprite a sprite
     * @return its open journal entry (an operation in progress, or left by a crash), if any
     */
    public Optional<JournalEntry> openEntry(String sprite) {
        return read(() -> query("SELECT * FROM journal WHERE sprite = ? AND ended_at IS NULL ORDER BY id DESC LIMIT 1",
                StateStore::journalRow, sprite).stream().findFirst());
    }

    /**
     * As {@link #begin}, but only if no hold (session, keep-alive) of a live process holds the
     * sprite and it has had no activity since {@code idleSince}; all checked in the same
     * transaction as the change, so a session opened a moment earlier always wins.
     *
     * @param sprite    the sprite
     * @param operation e.g. {@code hibernate}
     * @param from      the state it must be in
     * @param during    its state while the operation runs
     * @param detail    the cause, kept in the journal
     * @param idleSince the latest activity time that still counts as idle
     * @return the entry's id, or empty if the sprite is held, active, or not in {@code from}
     */
    public Optional<Long> beginIfIdle(String sprite, String operation, SpriteState from, SpriteState during, String detail, Instant idleSince) {
        return write(() -> {
            Instant now = clock.instant();
            if (query("SELECT * FROM holds WHERE sprite = ?", StateStore::holdRow, sprite).stream().anyMatch(h -> h.holds(now))) {
                return Optional.empty();
            }
            if (query("SELECT at FROM activity WHERE sprite = ?", rs -> instant(rs.getString(1)), sprite).stream().anyMatch(at -> at.isAfter(idleSince))) {
                return Optional.empty();
            }
            long id = claim(sprite, operation, from, during, detail);
            return id < 0 ? Optional.empty() : Optional.of(id);
        });
    }

    /** Inside a write transaction: the compare-and-set and the journal row; -1 if the state differs. */
    private long claim(String sprite, String operation, SpriteState from, SpriteState during, String detail) throws SQLException {
        String now = now();
        if (update("UPDATE sprites SET state = ?, state_since = ? WHERE name = ? AND state = ? AND state <> ?",
                during.name(), now, sprite, from.name(), DELETED) == 0) {
            stateOf(sprite); // absent or deleted: SpriteNotFoundException
            return -1;
        }
        try (PreparedStatement q = db.prepareStatement(
                "INSERT INTO journal(sprite, operation, from_state, during_state, started_at, detail, pid) VALUES (?,?,?,?,?,?,?)",
                Statement.RETURN_GENERATED_KEYS)) {
            bind(q, sprite, operation, from.name(), during.name(), now, detail, ProcessHandle.current().pid());
            q.executeUpdate();
            try (ResultSet keys = q.getGeneratedKeys()) {
                keys.next();
                return keys.getLong(1);
            }
        }
    }

    private SpriteState stateOf(String sprite) throws SQLException {
        return query("SELECT state FROM sprites WHERE name = ? AND state <> ?", rs -> SpriteState.valueOf(rs.getString(1)), sprite, DELETED)
                .stream().findFirst().orElseThrow(() -> new SpriteNotFoundException(sprite));
    }

    /**
     * Journals the end of a state change and moves the sprite (if its row still exists) to
     * {@code to}, in one transaction. An entry that was already ended, for instance by another
     * process's reconciliation, stays as it is, and so does the sprite: the first end wins and a
     * late one cannot overwrite a newer state.
     *
     * @param journalId what {@link #begin} returned
     * @param to        the sprite's state after
     * @param outcome   {@code ok}, or what went wrong
     * @throws IllegalArgumentException if there is no such entry
     */
    public void end(long journalId, SpriteState to, String outcome) {
        write(() -> {
            String now = now();
            if (update("UPDATE journal SET ended_at = ?, to_state = ?, outcome = ? WHERE id = ? AND ended_at IS NULL", now, to.name(), outcome, journalId) == 1) {
                update("UPDATE sprites SET state = ?, state_since = ? WHERE name = (SELECT sprite FROM journal WHERE id = ?)", to.name(), now, journalId);
            } else if (query("SELECT 1 FROM journal WHERE id = ?", rs -> 1, journalId).isEmpty()) {
                throw new IllegalArgumentException("No journal entry " + journalId + " in " + file);
            }
            return null;
        });
    }

    /** @return entries begun and not ended, oldest first: operations a crash (or a running process) left open */
    public List<JournalEntry> unfinished() {
        return read(() -> query("SELECT * FROM journal WHERE ended_at IS NULL ORDER BY id", StateStore::journalRow));
    }

    /**
     * @param sprite a sprite, present or removed
     * @param limit  at most this many entries, {@code >= 0}
     * @return its journal, newest first
     */
    public List<JournalEntry> history(String sprite, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, was " + limit);
        }
        return read(() -> query("SELECT * FROM journal WHERE sprite = ? ORDER BY id DESC LIMIT ?", StateStore::journalRow, sprite, limit));
    }

    /**
     * @param afterId an entry id, 0 for the start
     * @param limit   at most this many
     * @return the entries after it, of every sprite, oldest first
     */
    public List<JournalEntry> journalAfter(long afterId, int limit) {
        return read(() -> query("SELECT * FROM journal WHERE id > ? ORDER BY id LIMIT ?", StateStore::journalRow, afterId, limit));
    }

    /**
     * @param sprite a sprite
     * @return its latest ended journal entry, if any: what put it in its state
     */
    public Optional<JournalEntry> lastChange(String sprite) {
        return read(() -> query("SELECT * FROM journal WHERE sprite = ? AND ended_at IS NOT NULL ORDER BY id DESC LIMIT 1",
                StateStore::journalRow, sprite).stream().findFirst());
    }

    // ---- activity and holds ----

    /**
     * Records activity on a sprite, now.
     *
     * @param sprite the sprite
     * @param kind   what it was
     * @param detail e.g. the command
     */
    public void touch(String sprite, Why.Kind kind, String detail) {
        write(() -> touchNow(sprite, kind, detail));
    }

    private Object touchNow(String sprite, Why.Kind kind, String detail) throws SQLException {
        return update("""
                INSERT INTO activity(sprite, at, kind, detail) VALUES (?,?,?,?)
                ON CONFLICT(sprite) DO UPDATE SET at = excluded.at, kind = excluded.kind, detail = excluded.detail""",
                sprite, now(), kind.name(), detail);
    }

    /** @param sprite a sprite @return its latest activity, if any was recorded */
    public Optional<Why.Activity> lastActivity(String sprite) {
        return read(() -> query("SELECT * FROM activity WHERE sprite = ?",
                rs -> new Why.Activity(Why.Kind.valueOf(rs.getString("kind")), rs.getString("detail"), instant(rs.getString("at")), Optional.empty()),
                sprite).stream().findFirst());
    }

    /**
     * Records a hold on a sprite by this process, and counts it as activity.
     *
     * @param sprite the sprite
     * @param kind   what holds it
     * @param detail the command or reason
     * @param until  when it lapses by itself, or null
     * @return its id, for {@link #release}
     * @throws SpriteNotFoundException if the sprite is absent
     */
    public long hold(String sprite, Why.Kind kind, String detail, @Nullable Instant until) {
        return write(() -> {
            stateOf(sprite);
            touchNow(sprite, kind, detail);
            try (PreparedStatement q = db.prepareStatement("INSERT INTO holds(sprite, kind, detail, pid, since, until) VALUES (?,?,?,?,?,?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                bind(q, sprite, kind.name(), detail, ProcessHandle.current().pid(), now(), until == null ? null : time(until));
                q.executeUpdate();
                try (ResultSet keys = q.getGeneratedKeys()) {
                    keys.next();
                    return keys.getLong(1);
                }
            }
        });
    }

    /**
     * Ends a hold, counting its end as activity unless it had lapsed; an absent one (released
     * already, or its sprite deleted) is ignored.
     *
     * @param id what {@link #hold} returned
     */
    public void release(long id) {
        write(() -> {
            Instant now = clock.instant();
            for (Hold h : query("SELECT * FROM holds WHERE id = ?", StateStore::holdRow, id)) {
                if (h.until() == null || h.until().isAfter(now)) { // giving up a lease that already lapsed is not activity
                    touchNow(h.sprite(), h.kind(), h.detail() + " ended");
                }
            }
            return update("DELETE FROM holds WHERE id = ?", id);
        });
    }

    /**
     * @param sprite a sprite
     * @return its holds that still hold (process alive, not lapsed), oldest first; dead ones are removed
     */
    public List<Hold> holds(String sprite) {
        Instant now = clock.instant();
        List<Hold> all = read(() -> query("SELECT * FROM holds WHERE sprite = ? ORDER BY id", StateStore::holdRow, sprite));
        List<Hold> dead = all.stream().filter(h -> !h.holds(now)).toList();
        if (!dead.isEmpty()) {
            write(() -> {
                for (Hold h : dead) {
                    update("DELETE FROM holds WHERE id = ?", h.id());
                }
                return null;
            });
        }
        return all.stream().filter(h -> h.holds(now)).toList();
    }

    /**
     * @param now the time
     * @return the sprites the idle monitor looks at: running, paused, and hibernated ones whose
     *         archive tier is due; never the others, so its work grows with the awake sprites only
     */
    public List<SpriteRecord> sleepCandidates(Instant now) {
        return read(() -> query("SELECT * FROM sprites WHERE state IN ('RUNNING', 'PAUSED') OR (state = 'HIBERNATED' AND archive_at <= ?) ORDER BY name",
                this::spriteRow, time(now)));
    }

    /**
     * @param sprite a sprite
     * @param at     when its archive tier falls due, or null for never
     */
    public void setArchiveAt(String sprite, @Nullable Instant at) {
        write(() -> update("UPDATE sprites SET archive_at = ? WHERE name = ?", at == null ? null : time(at), sprite));
    }

    // ---- exposures ----

    /**
     * One exposed port.
     *
     * @param sprite  the sprite
     * @param port    its port
     * @param mode    who may reach it
     * @param primary whether the sprite's bare name leads to it
     * @param url     where
     */
    public record Exposed(String sprite, int port, labs.sandwich.puck.api.ExposureMode mode, boolean primary, String url) {}

    /** @param e an exposure to record, replacing one of the same sprite and port */
    public void expose(Exposed e) {
        write(() -> update("INSERT OR REPLACE INTO exposures(sprite, port, mode, is_primary, url) VALUES (?,?,?,?,?)",
                e.sprite(), e.port(), e.mode().name(), e.primary() ? 1 : 0, e.url()));
    }

    /** @param sprite a sprite @param port its port: the exposure goes, if there is one */
    public void unexpose(String sprite, int port) {
        write(() -> update("DELETE FROM exposures WHERE sprite = ? AND port = ?", sprite, port));
    }

    /** @param sprite a sprite, or null for all @return the exposed ports */
    public List<Exposed> exposures(@Nullable String sprite) {
        return read(() -> query("SELECT * FROM exposures WHERE ? IS NULL OR sprite = ? ORDER BY sprite, port",
                rs -> new Exposed(rs.getString("sprite"), rs.getInt("port"), labs.sandwich.puck.api.ExposureMode.valueOf(rs.getString("mode")),
                        rs.getInt("is_primary") == 1, rs.getString("url")), sprite, sprite));
    }

    /**
     * One port published as raw TCP on the host.
     *
     * @param sprite   the sprite
     * @param port     its port
     * @param bind     the host address listened on ({@code 127.0.0.1}, or {@code 0.0.0.0} when asked)
     * @param hostPort the host port
     * @param mode     who may reach it
     */
    public record TcpExposed(String sprite, int port, String bind, int hostPort, labs.sandwich.puck.api.ExposureMode mode) {}

    /** @param e a raw TCP exposure to record, replacing one on the same host address and port */
    public void exposeTcp(TcpExposed e) {
        write(() -> update("INSERT OR REPLACE INTO tcp_exposures(sprite, port, bind, host_port, mode) VALUES (?,?,?,?,?)",
                e.sprite(), e.port(), e.bind(), e.hostPort(), e.mode().name()));
    }

    /** @param bind a host address @param hostPort a host port: its exposure goes, if there is one */
    public void unexposeTcp(String bind, int hostPort) {
        write(() -> update("DELETE FROM tcp_exposures WHERE bind = ? AND host_port = ?", bind, hostPort));
    }

    /** @param sprite a sprite, or null for all @return its raw TCP exposures */
    public List<TcpExposed> tcpExposures(@Nullable String sprite) {
        return read(() -> query("SELECT * FROM tcp_exposures WHERE ? IS NULL OR sprite = ? ORDER BY sprite, port, host_port",
                rs -> new TcpExposed(rs.getString("sprite"), rs.getInt("port"), rs.getString("bind"), rs.getInt("host_port"),
                        labs.sandwich.puck.api.ExposureMode.valueOf(rs.getString("mode"))), sprite, sprite));
    }

    /** @return every sprite's {@code <name>.internal} address, deleted sprites' included until released */
    public Map<String, String> internalAddresses() {
        return read(() -> {
            Map<String, String> out = new java.util.TreeMap<>();
            for (String[] r : query("SELECT sprite, address FROM internal_addresses", rs -> new String[] {rs.getString(1), rs.getString(2)})) {
                out.put(r[0], r[1]);
            }
            return out;
        });
    }

    /**
     * @param sprite  a sprite
     * @param address an address just taken for it
     * @return whether it is now the sprite's; false if another process recorded one first, or the sprite is gone
     */
    public boolean claimInternalAddress(String sprite, String address) {
        // Only for a sprite that still exists: one deleted while the address was being added would keep it forever.
        return write(() -> update("INSERT OR IGNORE INTO internal_addresses(sprite, address) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM sprites WHERE name = ?)",
                sprite, address, sprite)) == 1;
    }

    /** @param sprite a sprite @param address its {@code <name>.internal} address, or null to forget it */
    public void internalAddress(String sprite, @Nullable String address) {
        write(() -> address == null ? update("DELETE FROM internal_addresses WHERE sprite = ?", sprite)
                : update("INSERT OR REPLACE INTO internal_addresses(sprite, address) VALUES (?,?)", sprite, address));
    }

    // ---- snapshots ----

    /**
     * @param s a snapshot to record
     * @throws StoreException if one with that id is already recorded
     */
    public void insertSnapshot(Snapshot s) {
        write(() -> update("INSERT INTO snapshots(id, sprite, label, created_at, size_bytes, sha256, contents) VALUES (?,?,?,?,?,?,?)",
                s.id().value(), s.sprite(), s.label(), time(s.createdAt()), s.sizeBytes(), s.sha256(),
                s.contents().stream().map(Enum::name).sorted().collect(Collectors.joining(","))));
    }

    /**
     * @param sprite a sprite, present or removed
     * @return the snapshots taken of it, oldest first
     */
    public List<Snapshot> snapshots(String sprite) {
        return read(() -> query("SELECT * FROM snapshots WHERE sprite = ? ORDER BY created_at, rowid", StateStore::snapshotRow, sprite));
    }

    /**
     * @param id a snapshot id
     * @return that snapshot, if recorded
     */
    public Optional<Snapshot> snapshot(SnapshotId id) {
        return read(() -> query("SELECT * FROM snapshots WHERE id = ?", StateStore::snapshotRow, id.value()).stream().findFirst());
    }

    /** @param id a snapshot whose record goes; absent ones are ignored */
    public void removeSnapshot(SnapshotId id) {
        write(() -> update("DELETE FROM snapshots WHERE id = ?", id.value()));
    }

    // ---- backend state ----

    /** @return runtimes' durable key-values, kept in this store and shared with every process using it */
    public BackendState backendState() {
        return backendState;
    }

    private final class Backend implements BackendState {
        @Override
        public Optional<String> get(String owner, String key) {
            return read(() -> query("SELECT value FROM backend_state WHERE owner = ? AND key = ?", rs -> rs.getString(1), owner, key)
                    .stream().findFirst());
        }

        @Override
        public void put(String owner, String key, String value) {
            write(() -> update("INSERT INTO backend_state(owner, key, value) VALUES (?,?,?) ON CONFLICT(owner, key) DO UPDATE SET value = excluded.value",
                    owner, key, value));
        }

        @Override
        public void remove(String owner, String key) {
            write(() -> update("DELETE FROM backend_state WHERE owner = ? AND key = ?", owner, key));
        }

        @Override
        public Map<String, String> all(String owner) {
            Map<String, String> out = new LinkedHashMap<>();
            read(() -> query("SELECT key, value FROM backend_state WHERE owner = ? ORDER BY key", rs -> Map.entry(rs.getString(1), rs.getString(2)), owner))
                    .forEach(e -> out.put(e.getKey(), e.getValue()));
            return out;
        }
    }

    // ---- leases ----

    /**
     * Takes a named lease if no one holds it or its holder let it expire, or renews it if
     * {@code holder} already has it; atomic across processes. Expiry is judged by this store's clock.
     *
     * @param name   the lease, e.g. {@code idle-monitor}
     * @param holder who asks, e.g. {@code 4242@host}
     * @param ttl    how long it lasts unless renewed; positive
     * @return whether {@code holder} now holds it, until now + {@code ttl}
     */
    public boolean tryAcquireLease(String name, String holder, Duration ttl) {
        if (!ttl.isPositive()) {
            throw new IllegalArgumentException("ttl must be positive, was " + ttl);
        }
        return write(() -> {
            Instant now = clock.instant(); // read under the write lock, not before waiting for it
            // One statement: the row is inserted, or updated only when it is ours or expired; no row changed = held by another.
            return update("""
                    INSERT INTO leases(name, holder, expires_at) VALUES (?,?,?)
                    ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                    WHERE leases.holder = excluded.holder OR leases.expires_at <= ?""",
                    name, holder, time(now.plus(ttl)), time(now)) == 1;
        });
    }

    /**
     * Gives a lease up, if {@code holder} holds it; otherwise does nothing.
     *
     * @param name   the lease
     * @param holder who gives it up
     */
    public void releaseLease(String name, String holder) {
        write(() -> update("DELETE FROM leases WHERE name = ? AND holder = ?", name, holder));
    }

    /**
     * @param name a lease
     * @return who holds it and until when, if someone holds it now
     */
    public Optional<Map.Entry<String, Instant>> leaseHolder(String name) {
        Instant now = clock.instant();
        return read(() -> query("SELECT holder, expires_at FROM leases WHERE name = ?", rs -> Map.entry(rs.getString(1), instant(rs.getString(2))), name))
                .stream().filter(e -> e.getValue().isAfter(now)).findFirst();
    }

    /** Closes the connection. Idempotent; the store is unusable afterwards. */
    @Override
    public void close() {
        lock.lock();
        try {
            db.close();
        } catch (SQLException e) {
            throw translate(file, busyTimeout, e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "StateStore[" + file + "]";
    }

    // ---- machinery ----

    private interface Work<T> {
        T run() throws SQLException;
    }

    private interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** Runs {@code work} under the lock, translating SQLite's errors. */
    private <T> T sql(Work<T> work) {
        lock.lock();
        try {
            if (db.isClosed()) {
                throw new IllegalStateException("The state store " + file + " is closed.");
            }
            return work.run();
        } catch (SQLException e) {
            throw translate(file, busyTimeout, e);
        } finally {
            lock.unlock();
        }
    }

    /** Reads in autocommit mode: in WAL, each statement sees a consistent snapshot and never waits for a writer. */
    private <T> T read(Work<T> work) {
        return sql(work);
    }

    /**
     * Runs {@code work} as one write transaction. {@code BEGIN IMMEDIATE} takes the write lock
     * up front (waiting up to the busy timeout), so a transaction never fails half-way on an
     * upgrade from read to write. Plain SQL rather than JDBC's auto-commit switch, whose commit
     * in sqlite-jdbc immediately begins (and locks) the next transaction.
     */
    private <T> T write(Work<T> work) {
        return sql(() -> {
            try (Statement st = db.createStatement()) {
                st.execute("BEGIN IMMEDIATE");
                try {
                    T result = work.run();
                    st.execute("COMMIT");
                    return result;
                } catch (SQLException | RuntimeException e) {
                    try {
                        st.execute("ROLLBACK");
                    } catch (SQLException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                    throw e;
                }
            }
        });
    }

    private int update(String statement, @Nullable Object... args) throws SQLException {
        try (PreparedStatement q = db.prepareStatement(statement)) {
            bind(q, args);
            return q.executeUpdate();
        }
    }

    private <T> List<T> query(String statement, Row<T> row, Object... args) throws SQLException {
        try (PreparedStatement q = db.prepareStatement(statement)) {
            bind(q, args);
            List<T> out = new ArrayList<>();
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(row.read(rs));
                }
            }
            return out;
        }
    }

    private static void bind(PreparedStatement q, @Nullable Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            q.setObject(i + 1, args[i]);
        }
    }

    private SpriteRecord spriteRow(ResultSet rs) throws SQLException {
        String name = rs.getString("name");
        try {
            return new SpriteRecord(name, rs.getString("runtime"), SpriteState.valueOf(rs.getString("state")),
                    SpecCodec.fromJson(rs.getString("spec_json")), instant(rs.getString("created_at")), instant(rs.getString("state_since")));
        } catch (IllegalArgumentException | DateTimeException | InvalidSpecException e) {
            throw new StoreCorruptedException(file, "sprite '" + name + "' cannot be read: " + e.getMessage(), e);
        }
    }

    private static JournalEntry journalRow(ResultSet rs) throws SQLException {
        String to = rs.getString("to_state");
        String ended = rs.getString("ended_at");
        return new JournalEntry(rs.getLong("id"), rs.getString("sprite"), rs.getString("operation"),
                SpriteState.valueOf(rs.getString("from_state")), SpriteState.valueOf(rs.getString("during_state")),
                to == null ? null : SpriteState.valueOf(to), instant(rs.getString("started_at")), ended == null ? null : instant(ended),
                rs.getString("outcome"), rs.getString("detail"), rs.getLong("pid"));
    }

    private static Hold holdRow(ResultSet rs) throws SQLException {
        String until = rs.getString("until");
        return new Hold(rs.getLong("id"), rs.getString("sprite"), Why.Kind.valueOf(rs.getString("kind")), rs.getString("detail"), rs.getLong("pid"),
                instant(rs.getString("since")), until == null ? null : instant(until));
    }

    private static Snapshot snapshotRow(ResultSet rs) throws SQLException {
        Set<Snapshot.Content> contents = EnumSet.noneOf(Snapshot.Content.class);
        for (String c : rs.getString("contents").split(",")) {
            if (!c.isEmpty()) {
                contents.add(Snapshot.Content.valueOf(c));
            }
        }
        return new Snapshot(new SnapshotId(rs.getString("id")), rs.getString("sprite"), rs.getString("label"),
                instant(rs.getString("created_at")), rs.getLong("size_bytes"), rs.getString("sha256"), contents);
    }

    private String now() {
        return time(clock.instant());
    }

    private static String time(Instant t) {
        return TIME.format(t);
    }

    private static Instant instant(String text) {
        return Instant.parse(text);
    }

    /** The one place SQLite's errors become Puck's. Primary result codes: https://sqlite.org/rescode.html */
    private static StoreException translate(Path file, Duration busyTimeout, SQLException e) {
        return switch (e.getErrorCode() & 0xff) {
            case 5, 6 -> new StoreLockedException(file, busyTimeout, e); // BUSY, LOCKED
            case 11, 26 -> new StoreCorruptedException(file, e.getMessage(), e); // CORRUPT, NOTADB
            case 13 -> new StoreException(file, "the disk is full (" + e.getMessage() + ").", // FULL
                    "Free space on the disk holding " + file.getParent() + ", then retry.", e);
            case 3, 8, 14, 23 -> new StoreException(file, "it cannot be opened for writing (" + e.getMessage() + ").", // PERM, READONLY, CANTOPEN, AUTH
                    "Make " + file.getParent() + " and " + file.getFileName() + " writable by this user, "
                            + "or choose another store with Puck.builder().store(path) or PUCK_STORE.", e);
            default -> new StoreException(file, "SQLite failed: " + e.getMessage(),
                    "Retry; if it persists, check the file with `sqlite3 " + file + " 'PRAGMA integrity_check'`.", e);
        };
    }
}
