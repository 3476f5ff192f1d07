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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.StoreCorruptedException;
import labs.sandwich.puck.api.StoreException;
import labs.sandwich.puck.api.StoreLockedException;
import labs.sandwich.puck.api.StoreVersionException;
import labs.sandwich.puck.spi.BackendState;
import org.jspecify.annotations.Nullable;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import org.sqlite.SQLiteException;

/**
 * Puck's durable state: sprites, the journal of state changes, snapshots, runtimes' own
 * key-values and leases, in one SQLite file in WAL mode, shared safely by every process that
 * opens it. The schema is versioned ({@code PRAGMA user_version}) and migrated forward in
 * transactions; a file from a newer Puck is refused before anything is written. The file is
 * never deleted or rewritten to get past an error. Thread-safe: one connection, used under a lock.
 */
public final class StateStore implements AutoCloseable {
    /** The schema version this Puck writes and understands. */
    public static final int SCHEMA_VERSION = 1;
    /** How long a write waits for another process's lock by default. */
    static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(10);

    /** Migration {@code i} takes the schema from version {@code i} to {@code i + 1}. */
    private static final List<List<String>> MIGRATIONS = List.of(List.of(
            "CREATE TABLE sprites(name TEXT PRIMARY KEY, runtime TEXT NOT NULL, state TEXT NOT NULL, spec_json TEXT NOT NULL,"
                    + " created_at TEXT NOT NULL, state_since TEXT NOT NULL)",
            "CREATE TABLE journal(id INTEGER PRIMARY KEY AUTOINCREMENT, sprite TEXT NOT NULL, operation TEXT NOT NULL,"
                    + " from_state TEXT NOT NULL, during_state TEXT NOT NULL, to_state TEXT, started_at TEXT NOT NULL, ended_at TEXT,"
                    + " outcome TEXT, detail TEXT NOT NULL, pid INTEGER NOT NULL)",
            "CREATE INDEX journal_unfinished ON journal(id) WHERE ended_at IS NULL",
            "CREATE INDEX journal_by_sprite ON journal(sprite, id)",
            "CREATE TABLE snapshots(id TEXT PRIMARY KEY, sprite TEXT NOT NULL, label TEXT NOT NULL, created_at TEXT NOT NULL,"
                    + " size_bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, contents TEXT NOT NULL)",
            "CREATE INDEX snapshots_by_sprite ON snapshots(sprite)",
            "CREATE TABLE backend_state(owner TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(owner, key))",
            "CREATE TABLE leases(name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL)"));

    private final Path file;
    private final Clock clock;
    private final Duration busyTimeout;
    private final Connection db;
    private final BackendState backendState = new Backend();

    private StateStore(Path file, Clock clock, Duration busyTimeout, Connection db) {
        this.file = file;
        this.clock = clock;
        this.busyTimeout = busyTimeout;
        this.db = db;
    }

    /** @return {@code $XDG_DATA_HOME/puck/puck.db}, else {@code ~/.local/share/puck/puck.db} */
    public static Path defaultFile() {
        String xdg = System.getenv("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("puck").resolve("puck.db");
    }

    /**
     * Opens (creating if absent) and migrates a store.
     *
     * @param file  the SQLite file
     * @param clock the clock for timestamps
     * @return the open store
     * @throws StoreCorruptedException if the file is not a readable Puck database
     * @throws StoreVersionException   if it was written by a newer Puck
     * @throws StoreLockedException    if another process holds it locked too long
     * @throws StoreException          if it cannot be created or written
     */
    public static StateStore open(Path file, Clock clock) {
        return open(file, clock, DEFAULT_BUSY_TIMEOUT);
    }

    static StateStore open(Path file, Clock clock, Duration busyTimeout) {
        Path abs = file.toAbsolutePath();
        try {
            Files.createDirectories(abs.getParent());
        } catch (IOException e) {
            throw new StoreException(abs, "its directory cannot be created (" + e + ").",
                    "Make " + abs.getParent() + " writable, or choose another place with Puck.builder().store(path) or PUCK_STORE.", e);
        }
        if (Files.exists(abs) && !Files.isRegularFile(abs)) {
            throw new StoreException(abs, "it exists but is not a regular file.", "Point Puck at a file path, e.g. " + abs.resolve("puck.db") + ".", null);
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, busyTimeout.toMillis()));
        config.enforceForeignKeys(true);
        // Write transactions take the write lock when they begin, so two writers never deadlock on an upgrade.
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        SQLiteDataSource source = new SQLiteDataSource(config);
        source.setUrl("jdbc:sqlite:" + abs);
        Connection db;
        try {
            db = source.getConnection();
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

    /** Checks the file, refuses a newer schema, then (and only then) writes: WAL mode and migrations. */
    private void prepare() {
        sql(() -> {
            try (Statement st = db.createStatement()) {
                int version;
                try (ResultSet rs = st.executeQuery("PRAGMA user_version")) {
                    version = rs.getInt(1);
                }
                if (version > SCHEMA_VERSION) {
                    throw new StoreVersionException(file, version, SCHEMA_VERSION);
                }
                try (ResultSet rs = st.executeQuery("PRAGMA quick_check")) {
                    String result = rs.getString(1);
                    if (!"ok".equals(result)) {
                        throw new StoreCorruptedException(file, "integrity check: " + result, null);
                    }
                }
                try (ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
                    if (!"wal".equalsIgnoreCase(rs.getString(1))) {
                        st.execute("PRAGMA journal_mode=WAL");
                    }
                }
                st.execute("PRAGMA synchronous=NORMAL");
                for (int v = version; v < SCHEMA_VERSION; v++) {
                    int target = v + 1;
                    List<String> steps = MIGRATIONS.get(v);
                    transaction(() -> {
                        try (Statement m = db.createStatement()) {
                            for (String step : steps) {
                                m.execute(step);
                            }
                            m.execute("PRAGMA user_version = " + target);
                        }
                        return null;
                    });
                }
            }
            return null;
        });
    }

    /** @return the store file */
    public Path file() {
        return file;
    }

    // ---- sprites ----

    /**
     * @param r the new sprite
     * @throws SpriteAlreadyExistsException if a sprite of that name exists
     */
    public void insertSprite(SpriteRecord r) {
        transaction(() -> {
            try (PreparedStatement q = db.prepareStatement("SELECT state FROM sprites WHERE name = ?")) {
                q.setString(1, r.name());
                try (ResultSet rs = q.executeQuery()) {
                    if (rs.next() && !SpriteState.DELETED.name().equals(rs.getString(1))) {
                        throw new SpriteAlreadyExistsException(r.name());
                    }
                }
            }
            update("INSERT OR REPLACE INTO sprites(name, runtime, state, spec_json, created_at, state_since) VALUES (?,?,?,?,?,?)",
                    r.name(), r.runtime(), r.state().name(), SpecCodec.toJson(r.spec()), r.createdAt().toString(), r.stateSince().toString());
            return null;
        });
    }

    /** @param name a sprite @return its record, unless absent or deleted */
    public Optional<SpriteRecord> sprite(String name) {
        List<SpriteRecord> found = sprites("SELECT * FROM sprites WHERE name = ? AND state <> 'DELETED'", name);
        return found.stream().findFirst();
    }

    /** @return every live sprite, by name */
    public List<SpriteRecord> sprites() {
        return sprites("SELECT * FROM sprites WHERE state <> 'DELETED' ORDER BY name");
    }

    /**
     * Sets a sprite's state outside a journaled operation (reconciliation).
     *
     * @param name  a sprite
     * @param state its state
     * @throws SpriteNotFoundException if there is no such sprite
     */
    public void setState(String name, SpriteState state) {
        if (update("UPDATE sprites SET state = ?, state_since = ? WHERE name = ?", state.name(), now(), name) == 0) {
            throw new SpriteNotFoundException(name);
        }
    }

    /** @param name a sprite whose record and runtime state go; its snapshots and journal stay */
    public void removeSprite(String name) {
        transaction(() -> {
            update("DELETE FROM sprites WHERE name = ?", name);
            update("DELETE FROM backend_state WHERE owner = ?", name);
            return null;
        });
    }

    // ---- journal ----

    /**
     * Journals the start of a state change and moves the sprite to {@code during}, atomically.
     *
     * @param sprite    the sprite
     * @param operation the operation
     * @param from      its state before
     * @param during    its state while the operation runs
     * @param detail    details worth keeping
     * @return the journal entry's id, for {@link #end}
     */
    public long begin(String sprite, String operation, SpriteState from, SpriteState during, String detail) {
        return transaction(() -> {
            String now = now();
            update("UPDATE sprites SET state = ?, state_since = ? WHERE name = ?", during.name(), now, sprite);
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
        });
    }

    /**
     * Journals the end of a state change and moves the sprite to {@code to}, atomically.
     *
     * @param journalId what {@link #begin} returned
     * @param to        the state after
     * @param outcome   {@code ok} or what went wrong
     */
    public void end(long journalId, SpriteState to, String outcome) {
        transaction(() -> {
            String now = now();
            update("UPDATE journal SET ended_at = ?, to_state = ?, outcome = ? WHERE id = ?", now, to.name(), outcome, journalId);
            update("UPDATE sprites SET state = ?, state_since = ? WHERE name = (SELECT sprite FROM journal WHERE id = ?)", to.name(), now, journalId);
            return null;
        });
    }

    /** @return journal entries begun and never ended, oldest first */
    public List<JournalEntry> unfinished() {
        return journal("SELECT * FROM journal WHERE ended_at IS NULL ORDER BY id");
    }

    /**
     * @param sprite a sprite
     * @param limit  at most this many
     * @return its journal, newest first
     */
    public List<JournalEntry> history(String sprite, int limit) {
        return journal("SELECT * FROM journal WHERE sprite = ? ORDER BY id DESC LIMIT ?", sprite, limit);
    }

    // ---- snapshots ----

    /** @param s a snapshot to record */
    public void insertSnapshot(Snapshot s) {
        update("INSERT INTO snapshots(id, sprite, label, created_at, size_bytes, sha256, contents) VALUES (?,?,?,?,?,?,?)",
                s.id().value(), s.sprite(), s.label(), s.createdAt().toString(), s.sizeBytes(), s.sha256(),
                s.contents().stream().map(Enum::name).sorted().collect(Collectors.joining(",")));
    }

    /** @param sprite a sprite @return its snapshots, oldest first */
    public List<Snapshot> snapshots(String sprite) {
        return snapshotRows("SELECT * FROM snapshots WHERE sprite = ? ORDER BY rowid", sprite);
    }

    /** @param id a snapshot id @return the snapshot, if recorded */
    public Optional<Snapshot> snapshot(SnapshotId id) {
        return snapshotRows("SELECT * FROM snapshots WHERE id = ?", id.value()).stream().findFirst();
    }

    /** @param id a snapshot whose record goes */
    public void removeSnapshot(SnapshotId id) {
        update("DELETE FROM snapshots WHERE id = ?", id.value());
    }

    // ---- backend state ----

    /** @return runtimes' durable key-values, in this store */
    public BackendState backendState() {
        return backendState;
    }

    private final class Backend implements BackendState {
        @Override
        public Optional<String> get(String owner, String key) {
            return query("SELECT value FROM backend_state WHERE owner = ? AND key = ?", rs -> rs.getString(1), owner, key).stream().findFirst();
        }

        @Override
        public void put(String owner, String key, String value) {
            update("INSERT OR REPLACE INTO backend_state(owner, key, value) VALUES (?,?,?)", owner, key, value);
        }

        @Override
        public void remove(String owner, String key) {
            update("DELETE FROM backend_state WHERE owner = ? AND key = ?", owner, key);
        }

        @Override
        public Map<String, String> all(String owner) {
            Map<String, String> out = new LinkedHashMap<>();
            query("SELECT key, value FROM backend_state WHERE owner = ? ORDER BY key", rs -> out.put(rs.getString(1), rs.getString(2)), owner);
            return out;
        }
    }

    // ---- leases ----

    /**
     * Takes a named lease if it is free or expired, or renews it if {@code holder} has it.
     *
     * @param name   the lease, e.g. {@code idle-monitor}
     * @param holder who asks, e.g. {@code pid@host}
     * @param ttl    how long it lasts unless renewed
     * @return whether {@code holder} now holds it
     */
    public boolean tryAcquireLease(String name, String holder, Duration ttl) {
        return transaction(() -> {
            long now = clock.millis();
            List<String> current = query("SELECT holder FROM leases WHERE name = ? AND expires_at > ?", rs -> rs.getString(1), name, now);
            if (!current.isEmpty() && !current.getFirst().equals(holder)) {
                return false;
            }
            update("INSERT OR REPLACE INTO leases(name, holder, expires_at) VALUES (?,?,?)", name, holder, now + ttl.toMillis());
            return true;
        });
    }

    /** @param name a lease @param holder releases it only if it holds it */
    public void releaseLease(String name, String holder) {
        update("DELETE FROM leases WHERE name = ? AND holder = ?", name, holder);
    }

    /** Closes the connection; safe to call twice. */
    @Override
    public void close() {
        synchronized (this) {
            try {
                db.close();
            } catch (SQLException e) {
                throw translate(file, busyTimeout, e);
            }
        }
    }

    // ---- machinery ----

    private interface Work<T> {
        T run() throws SQLException;
    }

    private interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private synchronized <T> T sql(Work<T> work) {
        try {
            return work.run();
        } catch (SQLException e) {
            throw translate(file, busyTimeout, e);
        }
    }

    /** Runs {@code work} in one write transaction (BEGIN IMMEDIATE, see {@link #open}). */
    private synchronized <T> T transaction(Work<T> work) {
        return sql(() -> {
            if (!db.getAutoCommit()) {
                return work.run(); // already inside a transaction of this store
            }
            db.setAutoCommit(false);
            boolean done = false;
            try {
                T result = work.run();
                db.commit();
                done = true;
                return result;
            } finally {
                if (!done) {
                    try {
                        db.rollback();
                    } catch (SQLException ignored) {
                        // the original failure is the one worth reporting
                    }
                }
                db.setAutoCommit(true);
            }
        });
    }

    private int update(String statement, Object... args) {
        return sql(() -> {
            try (PreparedStatement q = db.prepareStatement(statement)) {
                bind(q, args);
                return q.executeUpdate();
            }
        });
    }

    private <T> List<T> query(String statement, Row<T> row, Object... args) {
        return sql(() -> {
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
        });
    }

    private static void bind(PreparedStatement q, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            q.setObject(i + 1, args[i]);
        }
    }

    private List<SpriteRecord> sprites(String statement, Object... args) {
        return query(statement, rs -> new SpriteRecord(rs.getString("name"), rs.getString("runtime"), SpriteState.valueOf(rs.getString("state")),
                SpecCodec.fromJson(rs.getString("spec_json")), Instant.parse(rs.getString("created_at")), Instant.parse(rs.getString("state_since"))), args);
    }

    private List<JournalEntry> journal(String statement, Object... args) {
        return query(statement, rs -> new JournalEntry(rs.getLong("id"), rs.getString("sprite"), rs.getString("operation"),
                SpriteState.valueOf(rs.getString("from_state")), SpriteState.valueOf(rs.getString("during_state")),
                state(rs.getString("to_state")), Instant.parse(rs.getString("started_at")), instant(rs.getString("ended_at")),
                rs.getString("outcome"), rs.getString("detail"), rs.getLong("pid")), args);
    }

    private List<Snapshot> snapshotRows(String statement, Object... args) {
        return query(statement, rs -> {
            Set<Snapshot.Content> contents = EnumSet.noneOf(Snapshot.Content.class);
            for (String c : rs.getString("contents").split(",")) {
                if (!c.isEmpty()) {
                    contents.add(Snapshot.Content.valueOf(c));
                }
            }
            return new Snapshot(new SnapshotId(rs.getString("id")), rs.getString("sprite"), rs.getString("label"),
                    Instant.parse(rs.getString("created_at")), rs.getLong("size_bytes"), rs.getString("sha256"), contents);
        }, args);
    }

    private static @Nullable SpriteState state(@Nullable String s) {
        return s == null ? null : SpriteState.valueOf(s);
    }

    private static @Nullable Instant instant(@Nullable String s) {
        return s == null ? null : Instant.parse(s);
    }

    private String now() {
        return clock.instant().toString();
    }

    /** The one place SQLite's errors become Puck's. */
    private static StoreException translate(Path file, Duration busyTimeout, SQLException e) {
        int code = e instanceof SQLiteException s ? s.getResultCode().code & 0xff : e.getErrorCode() & 0xff;
        return switch (code) {
            case 5, 6 -> new StoreLockedException(file, busyTimeout, e);                 // BUSY, LOCKED
            case 11, 26 -> new StoreCorruptedException(file, e.getMessage(), e);        // CORRUPT, NOTADB
            case 13 -> new StoreException(file, "the disk is full (" + e.getMessage() + ").", "Free space on the disk holding " + file + ", then retry.", e);
            case 3, 8, 14, 23 -> new StoreException(file, "it cannot be opened for writing (" + e.getMessage() + ").", // PERM, READONLY, CANTOPEN, AUTH
                    "Check the permissions of " + file + " and its directory, or choose another store with PUCK_STORE.", e);
            default -> new StoreException(file, "SQLite failed: " + e.getMessage(), "Retry; if it persists, check the file with `sqlite3 " + file + " 'PRAGMA integrity_check'`.", e);
        };
    }
}
