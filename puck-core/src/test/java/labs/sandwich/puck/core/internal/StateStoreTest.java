package labs.sandwich.puck.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.testkit.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
    @TempDir
    Path tmp;
    TestClock clock = TestClock.start();
    StateStore store;

    @BeforeEach
    void open() {
        store = StateStore.open(tmp.resolve("nested/dir/puck.db"), clock);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private SpriteRecord record(String name, SpriteState state) {
        return new SpriteRecord(name, "in-memory", state, SpriteSpec.named(name).withEnv("A", "1"), clock.instant(), clock.instant());
    }

    @Test
    void createsItsDirectoryAndUsesWal() throws Exception {
        assertThat(store.file()).exists();
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + store.file()); var st = c.createStatement();
                var rs = st.executeQuery("PRAGMA journal_mode")) {
            assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
        }
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + store.file()); var st = c.createStatement();
                var rs = st.executeQuery("PRAGMA user_version")) {
            assertThat(rs.getInt(1)).isEqualTo(StateStore.SCHEMA_VERSION);
        }
    }

    @Test
    void spritesRoundTrip() {
        store.insertSprite(record("b", SpriteState.RUNNING));
        store.insertSprite(record("a", SpriteState.CREATING));
        assertThat(store.sprites()).extracting(SpriteRecord::name).containsExactly("a", "b");
        SpriteRecord b = store.sprite("b").orElseThrow();
        assertThat(b).isEqualTo(record("b", SpriteState.RUNNING));
        assertThatThrownBy(() -> store.insertSprite(record("b", SpriteState.RUNNING))).isInstanceOf(SpriteAlreadyExistsException.class);
        clock.advance(Duration.ofSeconds(5));
        store.setState("b", SpriteState.PAUSED);
        assertThat(store.sprite("b").orElseThrow().state()).isEqualTo(SpriteState.PAUSED);
        assertThat(store.sprite("b").orElseThrow().stateSince()).isEqualTo(clock.instant());
        assertThatThrownBy(() -> store.setState("zz", SpriteState.PAUSED)).isInstanceOf(SpriteNotFoundException.class);
        store.removeSprite("b");
        assertThat(store.sprite("b")).isEmpty();
        store.insertSprite(record("b", SpriteState.RUNNING));
        assertThat(store.sprite("b")).isPresent();
    }

    @Test
    void aDeletedRowIsHiddenAndReplaceable() {
        store.insertSprite(record("d", SpriteState.RUNNING));
        long j = store.begin("d", "delete", SpriteState.RUNNING, SpriteState.DELETING, "KEEP_VOLUMES");
        store.end(j, SpriteState.DELETED, "ok");
        assertThat(store.sprite("d")).isEmpty();
        assertThat(store.sprites()).isEmpty();
        store.insertSprite(record("d", SpriteState.CREATING));
        assertThat(store.sprite("d").orElseThrow().state()).isEqualTo(SpriteState.CREATING);
    }

    @Test
    void theJournalRecordsBeginAndEndWithTheState() {
        store.insertSprite(record("j", SpriteState.RUNNING));
        long j = store.begin("j", "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, "detail");
        assertThat(store.sprite("j").orElseThrow().state()).isEqualTo(SpriteState.HIBERNATING);
        assertThat(store.unfinished()).singleElement().satisfies(e -> {
            assertThat(e.id()).isEqualTo(j);
            assertThat(e.operation()).isEqualTo("hibernate");
            assertThat(e.from()).isEqualTo(SpriteState.RUNNING);
            assertThat(e.during()).isEqualTo(SpriteState.HIBERNATING);
            assertThat(e.to()).isNull();
            assertThat(e.endedAt()).isNull();
            assertThat(e.pid()).isEqualTo(ProcessHandle.current().pid());
        });
        clock.advance(Duration.ofMillis(300));
        store.end(j, SpriteState.HIBERNATED, "ok");
        assertThat(store.unfinished()).isEmpty();
        assertThat(store.sprite("j").orElseThrow().state()).isEqualTo(SpriteState.HIBERNATED);
        long k = store.begin("j", "wake", SpriteState.HIBERNATED, SpriteState.WAKING, "");
        store.end(k, SpriteState.RUNNING, "ok");
        assertThat(store.history("j", 10)).extracting(JournalEntry::operation).containsExactly("wake", "hibernate");
        assertThat(store.history("j", 1)).hasSize(1);
        JournalEntry h = store.history("j", 10).get(1);
        assertThat(h.to()).isEqualTo(SpriteState.HIBERNATED);
        assertThat(h.outcome()).isEqualTo("ok");
        assertThat(Duration.between(h.startedAt(), h.endedAt())).isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void snapshotsKeepTheirOrderAndFields() {
        Snapshot one = new Snapshot(new SnapshotId("snap-1"), "s", "one", Instant.parse("2026-01-01T00:00:00.123456789Z"), 10, "a".repeat(64),
                Set.of(Snapshot.Content.MEMORY, Snapshot.Content.VOLUMES));
        Snapshot two = new Snapshot(new SnapshotId("snap-0"), "s", "two", Instant.parse("2026-01-01T00:00:01Z"), 20, "b".repeat(64), Set.of());
        store.insertSnapshot(one);
        store.insertSnapshot(two);
        assertThat(store.snapshots("s")).containsExactly(one, two);
        assertThat(store.snapshot(new SnapshotId("snap-0"))).hasValue(two);
        store.removeSnapshot(one.id());
        assertThat(store.snapshots("s")).containsExactly(two);
        assertThat(store.snapshots("other")).isEmpty();
    }

    @Test
    void backendStateIsPerOwnerAndGoesWithTheSprite() {
        store.insertSprite(record("k", SpriteState.RUNNING));
        var state = store.backendState();
        state.put("k", "container.id", "abc");
        state.put("k", "ip", "10.88.0.2");
        state.put("snap-1", "archive", "/x.tar");
        state.put("k", "ip", "10.88.0.3");
        assertThat(state.get("k", "ip")).hasValue("10.88.0.3");
        assertThat(state.all("k")).containsExactly(java.util.Map.entry("container.id", "abc"), java.util.Map.entry("ip", "10.88.0.3"));
        state.remove("k", "ip");
        state.remove("k", "absent");
        assertThat(state.get("k", "ip")).isEmpty();
        store.removeSprite("k");
        assertThat(state.all("k")).isEmpty();
        assertThat(state.get("snap-1", "archive")).as("a snapshot's state is its own").hasValue("/x.tar");
    }

    @Test
    void leasesAreExclusiveRenewableAndExpire() {
        assertThat(store.tryAcquireLease("monitor", "a", Duration.ofSeconds(30))).isTrue();
        assertThat(store.tryAcquireLease("monitor", "b", Duration.ofSeconds(30))).isFalse();
        clock.advance(Duration.ofSeconds(20));
        assertThat(store.tryAcquireLease("monitor", "a", Duration.ofSeconds(30))).as("renewed").isTrue();
        clock.advance(Duration.ofSeconds(20));
        assertThat(store.tryAcquireLease("monitor", "b", Duration.ofSeconds(30))).as("still held after renewal").isFalse();
        clock.advance(Duration.ofSeconds(11));
        assertThat(store.tryAcquireLease("monitor", "b", Duration.ofSeconds(30))).as("expired, taken over").isTrue();
        store.releaseLease("monitor", "a");
        assertThat(store.tryAcquireLease("monitor", "a", Duration.ofSeconds(30))).as("a's release of b's lease does nothing").isFalse();
        store.releaseLease("monitor", "b");
        assertThat(store.tryAcquireLease("monitor", "a", Duration.ofSeconds(30))).isTrue();
    }

    @Test
    void reopeningKeepsEverything() {
        store.insertSprite(record("p", SpriteState.HIBERNATED));
        store.close();
        store = StateStore.open(tmp.resolve("nested/dir/puck.db"), clock);
        assertThat(store.sprite("p").orElseThrow().state()).isEqualTo(SpriteState.HIBERNATED);
    }

    @Test
    void theDefaultFileFollowsXdg() {
        Path p = StateStore.defaultFile();
        assertThat(p.getFileName().toString()).isEqualTo("puck.db");
        assertThat(p.getParent().getFileName().toString()).isEqualTo("puck");
        String xdg = System.getenv("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        assertThat(p).isEqualTo(base.resolve("puck/puck.db"));
    }
}
