package labs.sandwich.puck.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.Readiness;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.StoreException;
import labs.sandwich.puck.spi.BackendState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
    @TempDir
    Path tmp;
    final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00.123456789Z"));
    Path file;
    StateStore store;

    @BeforeEach
    void open() {
        file = tmp.resolve("nested/dir/puck.db");
        store = StateStore.open(file, clock);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private SpriteRecord record(String name, SpriteState state) {
        return new SpriteRecord(name, "in-memory", state, SpriteSpec.named(name).withEnv("A", "1"), clock.instant(), clock.instant());
    }

    @Test
    void opensANewFileInItsNewDirectoryWithWalAndTheSchema() throws SQLException {
        assertThat(store.file()).isEqualTo(file.toAbsolutePath()).exists();
        assertThat(raw("PRAGMA journal_mode")).isEqualToIgnoringCase("wal");
        assertThat(raw("PRAGMA user_version")).isEqualTo(String.valueOf(StateStore.SCHEMA_VERSION));
        assertThat(raw("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name)"))
                .isEqualTo("activity,backend_state,exposures,holds,internal_addresses,journal,leases,snapshots,sprites,tcp_exposures");
    }

    @Test
    void aVersion3StoreKeepsItsExposuresAndGainsRawTcpAndInternalAddresses() throws SQLException {
        store.insertSprite(record("web", SpriteState.RUNNING));
        store.expose(new StateStore.Exposed("web", 8080, labs.sandwich.puck.api.ExposureMode.LOCAL, true, "http://web.localhost/"));
        store.close();
        rawExecute("DROP TABLE tcp_exposures");
        rawExecute("DROP TABLE internal_addresses");
        rawExecute("PRAGMA user_version = 3"); // as Puck before raw TCP left it
        store = StateStore.open(file, clock);
        assertThat(raw("PRAGMA user_version")).isEqualTo("4");
        assertThat(store.exposures("web")).extracting(StateStore.Exposed::url).containsExactly("http://web.localhost/");
        store.exposeTcp(new StateStore.TcpExposed("web", 22, "127.0.0.1", 40022, labs.sandwich.puck.api.ExposureMode.LOCAL));
        store.internalAddress("web", "198.18.0.1");
        assertThat(store.tcpExposures(null)).containsExactly(new StateStore.TcpExposed("web", 22, "127.0.0.1", 40022, labs.sandwich.puck.api.ExposureMode.LOCAL));
        assertThat(store.internalAddresses()).containsExactly(java.util.Map.entry("web", "198.18.0.1"));
        store.removeSprite("web");
        assertThat(store.tcpExposures("web")).as("its host ports go with it").isEmpty();
        assertThat(store.internalAddresses()).as("its address stays until the host gives it up").containsKey("web");
    }

    @Test
    void anAddressIsClaimedOnlyOnceAndOnlyForASpriteThatExists() {
        assertThat(store.claimInternalAddress("ghost", "198.18.0.9")).as("deleted while its address was being added: the caller gives it up").isFalse();
        assertThat(store.internalAddresses()).isEmpty();
        store.insertSprite(record("web", SpriteState.RUNNING));
        assertThat(store.claimInternalAddress("web", "198.18.0.1")).isTrue();
        assertThat(store.claimInternalAddress("web", "198.18.0.2")).as("another process was first").isFalse();
        assertThat(store.internalAddresses()).containsExactly(java.util.Map.entry("web", "198.18.0.1"));
    }

    @Test
    void reopeningKeepsEverythingAndMigratesNothingTwice() {
        store.insertSprite(record("p", SpriteState.HIBERNATED));
        store.close();
        store = StateStore.open(file, clock);
        assertThat(store.sprite("p").orElseThrow().state()).isEqualTo(SpriteState.HIBERNATED);
    }

    @Test
    void storesOpeningANewFileAtOnceMigrateItOnce() throws Exception {
        Path fresh = tmp.resolve("fresh.db");
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<StateStore>> opened = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                opened.add(pool.submit(() -> StateStore.open(fresh, clock)));
            }
            for (Future<StateStore> f : opened) {
                f.get().close();
            }
        }
        try (StateStore s = StateStore.open(fresh, clock)) {
            s.insertSprite(record("x", SpriteState.RUNNING));
            assertThat(s.sprites()).hasSize(1);
        }
    }

    @Test
    void theDefaultFileFollowsXdgAndIgnoresARelativeValue() {
        assertThat(StateStore.defaultFile(k -> "/xdg/data", "/home/u")).isEqualTo(Path.of("/xdg/data/puck/puck.db"));
        assertThat(StateStore.defaultFile(k -> null, "/home/u")).isEqualTo(Path.of("/home/u/.local/share/puck/puck.db"));
        assertThat(StateStore.defaultFile(k -> "", "/home/u")).isEqualTo(Path.of("/home/u/.local/share/puck/puck.db"));
        assertThat(StateStore.defaultFile(k -> "relative/dir", "/home/u")).isEqualTo(Path.of("/home/u/.local/share/puck/puck.db"));
        assertThat(StateStore.defaultFile()).hasFileName("puck.db").isAbsolute();
    }

    @Test
    void spritesRoundTripWithTheirSpecAndAreListedByName() {
        SpriteSpec full = SpriteSpec.builder("b").image(ImageRef.of("debian:12")).idleTimeout(Duration.ofMinutes(3)).port(8080).label("team", "blue")
                .readiness(Readiness.http(8080, "/health")).build();
        SpriteRecord b = new SpriteRecord("b", "podman", SpriteState.RUNNING, full, Instant.parse("2026-01-02T03:04:05.000000001Z"), clock.instant());
        store.insertSprite(b);
        store.insertSprite(record("a", SpriteState.CREATING));
        store.insertSprite(record("c", SpriteState.FAILED));
        assertThat(store.sprite("b")).hasValue(b);
        assertThat(store.sprites()).extracting(SpriteRecord::name).containsExactly("a", "b", "c");
        assertThat(store.sprite("absent")).isEmpty();
    }

    @Test
    void aLiveNameCannotBeInsertedTwice() {
        store.insertSprite(record("b", SpriteState.RUNNING));
        SpriteRecord other = new SpriteRecord("b", "other", SpriteState.CREATING, SpriteSpec.named("b"), Instant.EPOCH, Instant.EPOCH);
        assertThatThrownBy(() -> store.insertSprite(other)).isInstanceOf(SpriteAlreadyExistsException.class);
        assertThat(store.sprite("b")).as("unchanged").hasValue(record("b", SpriteState.RUNNING));
    }

    @Test
    void aDeletedRowIsHiddenAndReplacedByANewSpriteOfThatName() {
        store.insertSprite(record("d", SpriteState.RUNNING));
        long j = store.begin("d", "delete", SpriteState.RUNNING, SpriteState.DELETING, "KEEP_VOLUMES");
        store.end(j, SpriteState.DELETED, "ok"); // a crash here would leave the DELETED row behind
        assertThat(store.sprite("d")).isEmpty();
        assertThat(store.sprites()).isEmpty();
        assertThatThrownBy(() -> store.setState("d", SpriteState.RUNNING)).isInstanceOf(SpriteNotFoundException.class);
        assertThatThrownBy(() -> store.begin("d", "wake", SpriteState.DELETED, SpriteState.WAKING, "")).isInstanceOf(SpriteNotFoundException.class);

        clock.advance(Duration.ofSeconds(1));
        store.insertSprite(record("d", SpriteState.CREATING));
        assertThat(store.sprite("d")).hasValue(record("d", SpriteState.CREATING));
        assertThat(store.history("d", 10)).as("the old sprite's history stays").extracting(JournalEntry::operation).containsExactly("delete");
    }

    @Test
    void setStateChangesTheStateAndItsSinceWithoutAJournalEntry() {
        store.insertSprite(record("b", SpriteState.RUNNING));
        clock.advance(Duration.ofSeconds(5));
        store.setState("b", SpriteState.PAUSED);
        SpriteRecord b = store.sprite("b").orElseThrow();
        assertThat(b.state()).isEqualTo(SpriteState.PAUSED);
        assertThat(b.stateSince()).isEqualTo(clock.instant());
        assertThat(b.createdAt()).isEqualTo(clock.instant().minusSeconds(5));
        assertThat(store.history("b", 10)).isEmpty();
        assertThatThrownBy(() -> store.setState("zz", SpriteState.PAUSED)).isInstanceOf(SpriteNotFoundException.class);
    }

    @Test
    void removeSpriteTakesItsRowAndBackendStateButKeepsItsJournalAndSnapshots() {
        store.insertSprite(record("r", SpriteState.RUNNING));
        store.end(store.begin("r", "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, ""), SpriteState.HIBERNATED, "ok");
        store.insertSnapshot(snapshot("snap-r", "r", clock.instant()));
        store.backendState().put("r", "container.id", "abc");
        store.removeSprite("r");
        assertThat(store.sprite("r")).isEmpty();
        assertThat(store.backendState().all("r")).isEmpty();
        assertThat(store.history("r", 10)).hasSize(1);
        assertThat(store.snapshots("r")).extracting(Snapshot::id).containsExactly(new SnapshotId("snap-r"));
        store.removeSprite("r"); // absent: nothing to do
        store.insertSprite(record("r", SpriteState.CREATING));
        assertThat(store.sprite("r")).isPresent();
    }

    @Test
    void beginAndEndJournalTheChangeAndMoveTheState() {
        store.insertSprite(record("j", SpriteState.RUNNING));
        Instant started = clock.instant();
        long j = store.begin("j", "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, "detail");
        assertThat(store.sprite("j").orElseThrow()).extracting(SpriteRecord::state, SpriteRecord::stateSince)
                .containsExactly(SpriteState.HIBERNATING, started);
        JournalEntry open = new JournalEntry(j, "j", "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, null, started, null, null,
                "detail", ProcessHandle.current().pid());
        assertThat(store.unfinished()).containsExactly(open);

        clock.advance(Duration.ofMillis(300));
        store.end(j, SpriteState.HIBERNATED, "ok");
        assertThat(store.unfinished()).isEmpty();
        assertThat(store.sprite("j").orElseThrow()).extracting(SpriteRecord::state, SpriteRecord::stateSince)
                .containsExactly(SpriteState.HIBERNATED, clock.instant());
        assertThat(store.history("j", 1)).containsExactly(
                new JournalEntry(j, "j", "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, SpriteState.HIBERNATED, started,
                        clock.instant(), "ok", "detail", ProcessHandle.current().pid()));
    }

    @Test
    void aLateEndCannotOverwriteANewerState() {
        store.insertSprite(record("l", SpriteState.RUNNING));
        long j = store.begin("l", "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, "");
        store.end(j, SpriteState.FAILED, "reconciled by another process");
        store.setState("l", SpriteState.RUNNING);
        store.end(j, SpriteState.HIBERNATED, "ok");
        assertThat(store.sprite("l").orElseThrow().state()).isEqualTo(SpriteState.RUNNING);
        assertThat(store.history("l", 1).getFirst()).extracting(JournalEntry::to, JournalEntry::outcome)
                .containsExactly(SpriteState.FAILED, "reconciled by another process");
        assertThatThrownBy(() -> store.end(9999, SpriteState.RUNNING, "ok")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("9999");
    }

    @Test
    void endWorksAfterTheSpriteRowIsGone() {
        store.insertSprite(record("g", SpriteState.RUNNING));
        long j = store.begin("g", "delete", SpriteState.RUNNING, SpriteState.DELETING, "");
        store.removeSprite("g");
        store.end(j, SpriteState.DELETED, "ok");
        assertThat(store.unfinished()).isEmpty();
        assertThat(store.sprite("g")).isEmpty();
        assertThat(raw("SELECT count(*) FROM sprites")).as("end does not bring a row back").isEqualTo("0");
    }

    @Test
    void beginIsOneTransaction() throws SQLException {
        store.insertSprite(record("t", SpriteState.RUNNING));
        // begin moves the state first, then inserts the journal row: make the insert fail.
        rawExecute("CREATE TRIGGER fail_insert BEFORE INSERT ON journal WHEN NEW.operation = 'boom' BEGIN SELECT RAISE(ABORT, 'injected'); END");
        assertThatThrownBy(() -> store.begin("t", "boom", SpriteState.RUNNING, SpriteState.HIBERNATING, ""))
                .isInstanceOf(StoreException.class).hasMessageContaining("injected");
        assertThat(store.sprite("t").orElseThrow().state()).as("rolled back with the insert").isEqualTo(SpriteState.RUNNING);
        assertThat(store.unfinished()).isEmpty();

        assertThatThrownBy(() -> store.begin("absent", "wake", SpriteState.HIBERNATED, SpriteState.WAKING, ""))
                .isInstanceOf(SpriteNotFoundException.class);
        assertThat(store.history("absent", 10)).as("no journal entry for a sprite that is not there").isEmpty();
    }

    @Test
    void endIsOneTransaction() throws SQLException {
        store.insertSprite(record("t", SpriteState.RUNNING));
        long j = store.begin("t", "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, "");
        // end closes the journal entry first, then moves the state: make the move fail.
        rawExecute("CREATE TRIGGER fail_update BEFORE UPDATE OF state ON sprites WHEN NEW.state = 'FAILED' BEGIN SELECT RAISE(ABORT, 'injected'); END");
        assertThatThrownBy(() -> store.end(j, SpriteState.FAILED, "boom")).isInstanceOf(StoreException.class).hasMessageContaining("injected");
        assertThat(store.unfinished()).as("the entry is still open").extracting(JournalEntry::id).containsExactly(j);
        assertThat(store.sprite("t").orElseThrow().state()).isEqualTo(SpriteState.HIBERNATING);
        store.end(j, SpriteState.HIBERNATED, "ok");
        assertThat(store.unfinished()).isEmpty();
    }

    @Test
    void unfinishedListsOpenEntriesOfEverySpriteOldestFirst() {
        store.insertSprite(record("a", SpriteState.RUNNING));
        store.insertSprite(record("b", SpriteState.HIBERNATED));
        long first = store.begin("b", "wake", SpriteState.HIBERNATED, SpriteState.WAKING, "");
        long done = store.begin("a", "pause", SpriteState.RUNNING, SpriteState.RUNNING, "");
        long second = store.begin("a", "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, "");
        store.end(done, SpriteState.PAUSED, "ok");
        assertThat(store.unfinished()).extracting(JournalEntry::id).containsExactly(first, second);
    }

    @Test
    void historyIsNewestFirstPerSpriteAndLimited() {
        store.insertSprite(record("h", SpriteState.RUNNING));
        store.insertSprite(record("other", SpriteState.RUNNING));
        store.end(store.begin("h", "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, ""), SpriteState.HIBERNATED, "ok");
        store.end(store.begin("other", "pause", SpriteState.RUNNING, SpriteState.RUNNING, ""), SpriteState.PAUSED, "ok");
        store.end(store.begin("h", "wake", SpriteState.HIBERNATED, SpriteState.WAKING, ""), SpriteState.RUNNING, "ok");
        store.begin("h", "delete", SpriteState.RUNNING, SpriteState.DELETING, "PURGE");
        assertThat(store.history("h", 10)).extracting(JournalEntry::operation).containsExactly("delete", "wake", "hibernate");
        assertThat(store.history("h", 2)).extracting(JournalEntry::operation).containsExactly("delete", "wake");
        assertThat(store.history("h", 0)).isEmpty();
        assertThat(store.history("nobody", 10)).isEmpty();
        assertThatThrownBy(() -> store.history("h", -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void snapshotsKeepEveryFieldAndAreListedOldestFirst() {
        Snapshot later = new Snapshot(new SnapshotId("snap-a"), "s", "two", Instant.parse("2026-01-01T00:00:01Z"), 20, "b".repeat(64), Set.of());
        Snapshot earlier = new Snapshot(new SnapshotId("snap-b"), "s", "one", Instant.parse("2026-01-01T00:00:00.123456789Z"), 10, "a".repeat(64),
                Set.of(Snapshot.Content.MEMORY, Snapshot.Content.VOLUMES));
        Snapshot elsewhere = snapshot("snap-c", "t", Instant.EPOCH);
        store.insertSnapshot(later);
        store.insertSnapshot(earlier);
        store.insertSnapshot(elsewhere);
        assertThat(store.snapshots("s")).containsExactly(earlier, later);
        assertThat(store.snapshot(new SnapshotId("snap-a"))).hasValue(later);
        assertThat(store.snapshot(new SnapshotId("snap-z"))).isEmpty();
        assertThatThrownBy(() -> store.insertSnapshot(later)).as("ids are unique").isInstanceOf(StoreException.class);

        store.removeSnapshot(earlier.id());
        store.removeSnapshot(earlier.id());
        assertThat(store.snapshots("s")).containsExactly(later);
        assertThat(store.snapshots("t")).containsExactly(elsewhere);
        assertThat(store.snapshots("nobody")).isEmpty();
    }

    @Test
    void backendStateIsPerOwnerAndGoesWithItsSprite() {
        store.insertSprite(record("k", SpriteState.RUNNING));
        BackendState state = store.backendState();
        state.put("k", "ip", "10.88.0.2");
        state.put("k", "container.id", "abc");
        state.put("snap-1", "archive", "/x.tar");
        state.put("k", "ip", "10.88.0.3");
        assertThat(state.get("k", "ip")).hasValue("10.88.0.3");
        assertThat(state.get("k", "absent")).isEmpty();
        assertThat(state.all("k")).containsExactly(Map.entry("container.id", "abc"), Map.entry("ip", "10.88.0.3"));
        state.remove("k", "ip");
        state.remove("k", "absent");
        assertThat(state.all("k")).containsExactly(Map.entry("container.id", "abc"));
        store.removeSprite("k");
        assertThat(state.all("k")).isEmpty();
        assertThat(state.get("snap-1", "archive")).as("a snapshot's state is its own").hasValue("/x.tar");
    }

    @Test
    void aLeaseIsExclusiveRenewableAndTakenOverOnlyAfterItExpires() {
        Duration ttl = Duration.ofSeconds(30);
        assertThat(store.tryAcquireLease("monitor", "a", ttl)).isTrue();
        assertThat(store.tryAcquireLease("monitor", "b", ttl)).isFalse();
        assertThat(store.tryAcquireLease("other", "b", ttl)).as("leases are independent").isTrue();
        clock.advance(Duration.ofSeconds(20));
        assertThat(store.tryAcquireLease("monitor", "a", ttl)).as("renewed until 50 s").isTrue();
        clock.advance(Duration.ofSeconds(29));
        assertThat(store.tryAcquireLease("monitor", "b", ttl)).as("still held at 49 s").isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(store.tryAcquireLease("monitor", "b", ttl)).as("expired at 50 s: taken over").isTrue();
        assertThat(store.tryAcquireLease("monitor", "a", ttl)).as("the old holder lost it").isFalse();
        store.releaseLease("monitor", "a");
        assertThat(store.tryAcquireLease("monitor", "a", ttl)).as("a non-holder's release does nothing").isFalse();
        store.releaseLease("monitor", "b");
        assertThat(store.tryAcquireLease("monitor", "a", ttl)).isTrue();
        assertThatThrownBy(() -> store.tryAcquireLease("monitor", "a", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLeaseIsSharedByTwoStoresOnOneFile() {
        try (StateStore second = StateStore.open(file, clock)) {
            assertThat(store.tryAcquireLease("monitor", "first", Duration.ofSeconds(10))).isTrue();
            assertThat(second.tryAcquireLease("monitor", "second", Duration.ofSeconds(10))).isFalse();
            clock.advance(Duration.ofSeconds(10));
            assertThat(second.tryAcquireLease("monitor", "second", Duration.ofSeconds(10))).isTrue();
            assertThat(store.tryAcquireLease("monitor", "first", Duration.ofSeconds(10))).isFalse();
        }
    }

    @Test
    void manyThreadsOnTwoStoresWriteWithoutLosingAnything() throws Exception {
        int threads = 16;
        int rounds = 20;
        try (StateStore second = StateStore.open(file, clock); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String name = "t" + t;
                StateStore s = t % 2 == 0 ? store : second;
                done.add(pool.submit(() -> {
                    s.insertSprite(record(name, SpriteState.RUNNING));
                    for (int i = 0; i < rounds; i++) {
                        s.end(s.begin(name, "pause", SpriteState.RUNNING, SpriteState.RUNNING, ""), SpriteState.RUNNING, "ok");
                        s.backendState().put(name, "round", String.valueOf(i));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        assertThat(store.sprites()).hasSize(threads);
        assertThat(store.unfinished()).isEmpty();
        assertThat(raw("SELECT count(*) FROM journal")).isEqualTo(String.valueOf(threads * rounds));
        assertThat(store.backendState().get("t7", "round")).hasValue(String.valueOf(rounds - 1));
    }

    @Test
    void aClosedStoreSaysSo() {
        store.close();
        store.close();
        assertThatThrownBy(() -> store.sprites()).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void beginIsACompareAndSetThatOneOfTwoConnectionsWins() {
        store.insertSprite(record("cas", SpriteState.HIBERNATED));
        try (StateStore other = StateStore.open(file, clock)) {
            assertThat(store.tryBegin("cas", "wake", SpriteState.HIBERNATED, SpriteState.WAKING, "first")).isPresent();
            assertThat(other.tryBegin("cas", "wake", SpriteState.HIBERNATED, SpriteState.WAKING, "second")).as("the loser sees WAKING").isEmpty();
            assertThatThrownBy(() -> other.begin("cas", "wake", SpriteState.HIBERNATED, SpriteState.WAKING, "second"))
                    .isInstanceOfSatisfying(labs.sandwich.puck.api.IllegalSpriteStateException.class, e -> assertThat(e.state()).isEqualTo(SpriteState.WAKING));
            assertThat(other.unfinished()).as("a lost claim writes nothing").singleElement().extracting(JournalEntry::detail).isEqualTo("first");
            assertThat(other.openEntry("cas")).get().extracting(JournalEntry::pid).isEqualTo(ProcessHandle.current().pid());
        }
        assertThatThrownBy(() -> store.tryBegin("absent", "wake", SpriteState.HIBERNATED, SpriteState.WAKING, "")).isInstanceOf(SpriteNotFoundException.class);
    }

    @Test
    void aSleepClaimLosesToAHoldOrToActivityAfterWhatTheMonitorSaw() throws SQLException {
        store.insertSprite(record("idle", SpriteState.RUNNING));
        store.touch("idle", labs.sandwich.puck.api.Why.Kind.LIFECYCLE, "created");
        Instant seen = clock.instant();
        long hold = store.hold("idle", labs.sandwich.puck.api.Why.Kind.EXEC, "make", null);
        clock.advance(Duration.ofMinutes(20));
        assertThat(store.beginIfIdle("idle", "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, "idle", clock.instant())).as("held").isEmpty();
        assertThat(store.holds("idle")).extracting(Hold::detail).containsExactly("make");
        store.release(hold);
        assertThat(store.lastActivity("idle")).get().satisfies(a -> {
            assertThat(a.detail()).isEqualTo("make ended");
            assertThat(a.at()).isEqualTo(clock.instant());
        });
        assertThat(store.beginIfIdle("idle", "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, "idle", seen)).as("active since").isEmpty();
        assertThat(store.sprite("idle").orElseThrow().state()).isEqualTo(SpriteState.RUNNING);
        long lease = store.hold("idle", labs.sandwich.puck.api.Why.Kind.KEEP_ALIVE, "build", clock.instant().plusSeconds(60));
        clock.advance(Duration.ofSeconds(61));
        assertThat(store.holds("idle")).as("a lapsed lease holds nothing").isEmpty();
        // A hold left by a process that died (pid 2^22 + 1 is above Linux's pid_max) holds nothing either.
        rawExecute("INSERT INTO holds(sprite, kind, detail, pid, since) VALUES ('idle', 'CONSOLE', 'ssh', 4194305, '2026-03-01T10:00:00.000000000Z')");
        assertThat(store.beginIfIdle("idle", "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, "idle monitor", clock.instant())).isPresent();
        assertThat(store.sprite("idle").orElseThrow().state()).isEqualTo(SpriteState.HIBERNATING);
        store.release(lease);
        store.removeSprite("idle");
        assertThat(raw("SELECT count(*) FROM holds") + raw("SELECT count(*) FROM activity")).as("holds and activity go with the sprite").isEqualTo("00");
    }

    private static Snapshot snapshot(String id, String sprite, Instant at) {
        return new Snapshot(new SnapshotId(id), sprite, "label", at, 1, "c".repeat(64), Set.of(Snapshot.Content.FILESYSTEM));
    }

    /** Reads one value through a separate connection, as another process would. */
    private String raw(String query) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void rawExecute(String statement) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    /** A clock that moves only when told. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant start) {
            now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("UTC only");
        }
    }
}
