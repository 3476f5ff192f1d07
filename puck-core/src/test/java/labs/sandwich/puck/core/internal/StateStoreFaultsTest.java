package labs.sandwich.puck.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.StoreCorruptedException;
import labs.sandwich.puck.api.StoreException;
import labs.sandwich.puck.api.StoreLockedException;
import labs.sandwich.puck.api.StoreVersionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** A store that is garbage, truncated, newer, locked or unwritable: a specific error, and the file untouched. */
class StateStoreFaultsTest {
    @TempDir
    Path tmp;

    /** The lock holder, run in its own JVM: takes the write lock, says so, and keeps it until its stdin closes. */
    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + args[0]); Statement st = c.createStatement()) {
            st.execute("BEGIN EXCLUSIVE");
            System.out.println("locked");
            System.out.flush();
            System.in.transferTo(OutputStream.nullOutputStream());
            st.execute("ROLLBACK");
        }
    }

    private static SpriteRecord record(String name) {
        return new SpriteRecord(name, "x", SpriteState.RUNNING, SpriteSpec.named(name), Instant.EPOCH, Instant.EPOCH);
    }

    @Test
    void aFileThatIsNotADatabaseIsRefusedAndLeftAlone() throws Exception {
        Path file = tmp.resolve("puck.db");
        byte[] garbage = "this is not a database, it is a shopping list\n".repeat(200).getBytes(StandardCharsets.UTF_8);
        Files.write(file, garbage);
        assertThatThrownBy(() -> StateStore.open(file, Clock.systemUTC()))
                .isInstanceOfSatisfying(StoreCorruptedException.class, e -> {
                    assertThat(e.file()).isEqualTo(file.toAbsolutePath());
                    assertThat(e.getMessage()).contains(file.toString(), "not a readable Puck store", "left it untouched", StoreCorruptedException.CODE);
                });
        assertThat(Files.readAllBytes(file)).isEqualTo(garbage);
        try (var siblings = Files.list(tmp)) {
            assertThat(siblings).as("no -wal, -shm or -journal either").containsExactly(file);
        }
    }

    @Test
    void aTruncatedDatabaseIsRefusedAndLeftAlone() throws Exception {
        Path file = tmp.resolve("puck.db");
        try (StateStore s = StateStore.open(file, Clock.systemUTC())) {
            for (int i = 0; i < 200; i++) {
                s.insertSprite(new SpriteRecord("s" + i, "x", SpriteState.RUNNING, SpriteSpec.named("s" + i).withEnv("PAD", "p".repeat(500)),
                        Instant.EPOCH, Instant.EPOCH));
            }
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode=DELETE"); // everything in the main file, so cutting it loses pages
        }
        byte[] whole = Files.readAllBytes(file);
        byte[] cut = Arrays.copyOf(whole, whole.length / 2);
        Files.write(file, cut);
        assertThatThrownBy(() -> StateStore.open(file, Clock.systemUTC())).isInstanceOf(StoreCorruptedException.class);
        assertThat(Files.readAllBytes(file)).isEqualTo(cut);
    }

    @Test
    void aStoreFromANewerPuckIsRefusedBeforeAnyWrite() throws Exception {
        Path file = tmp.resolve("puck.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE future(x)");
            st.execute("PRAGMA user_version = " + (StateStore.SCHEMA_VERSION + 6));
        }
        byte[] before = Files.readAllBytes(file);
        assertThatThrownBy(() -> StateStore.open(file, Clock.systemUTC()))
                .isInstanceOfSatisfying(StoreVersionException.class, e -> {
                    assertThat(e.found()).isEqualTo(StateStore.SCHEMA_VERSION + 6);
                    assertThat(e.supported()).isEqualTo(StateStore.SCHEMA_VERSION);
                    assertThat(e.getMessage()).contains("schema version is " + (StateStore.SCHEMA_VERSION + 6), "Upgrade Puck");
                });
        assertThat(Files.readAllBytes(file)).as("not even switched to WAL").isEqualTo(before);
    }

    @Test
    void aSpecThisPuckCannotReadIsAStoreErrorNamingTheSprite() throws Exception {
        Path file = tmp.resolve("puck.db");
        try (StateStore s = StateStore.open(file, Clock.systemUTC())) {
            s.insertSprite(record("future"));
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
                st.execute("UPDATE sprites SET spec_json = '{\"v\":2}'");
            }
            assertThatThrownBy(s::sprites).isInstanceOf(StoreCorruptedException.class).hasMessageContaining("sprite 'future'", "format version 2");
        }
    }

    @Test
    void aStoreLockedByAnotherProcessTimesOutWithAClearErrorAndNothingWritten() throws Exception {
        Path file = tmp.resolve("puck.db");
        Duration busyTimeout = Duration.ofMillis(300);
        try (StateStore store = StateStore.open(file, Clock.systemUTC(), busyTimeout)) {
            store.insertSprite(record("before"));
            Process holder = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), StateStoreFaultsTest.class.getName(), file.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
                assertThat(CompletableFuture.supplyAsync(() -> readLine(out)).get(30, TimeUnit.SECONDS)).isEqualTo("locked");

                long t0 = System.nanoTime();
                assertThatThrownBy(() -> store.insertSprite(record("during")))
                        .isInstanceOfSatisfying(StoreLockedException.class, e -> assertThat(e.getMessage()).contains(file.toString(), "locked", "fuser"));
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("waited for the busy timeout, not much longer")
                        .isBetween(busyTimeout.minusMillis(50), Duration.ofSeconds(5));
                assertThat(store.sprites()).as("readers are not blocked in WAL mode").extracting(SpriteRecord::name).containsExactly("before");

                holder.getOutputStream().close(); // let it go
                assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(holder.exitValue()).isZero();
            } finally {
                holder.destroyForcibly();
            }
            store.insertSprite(record("after"));
            assertThat(store.sprites()).extracting(SpriteRecord::name).containsExactly("after", "before");
        }
    }

    @Test
    void aDirectoryThatCannotBeCreatedIsAStoreExceptionWithARemedy() throws Exception {
        Path blocker = Files.writeString(tmp.resolve("a-file"), "x");
        Path file = blocker.resolve("puck.db");
        assertThatThrownBy(() -> StateStore.open(file, Clock.systemUTC()))
                .isExactlyInstanceOf(StoreException.class)
                .hasMessageContaining(blocker.toString(), "cannot be created", "PUCK_STORE");
        assertThat(Files.readString(blocker)).isEqualTo("x");
    }

    @Test
    @EnabledOnOs(OS.LINUX) // a directory no one may write, not even root (tests may run as root, whom permissions do not stop)
    void aDirectoryThatCannotBeWrittenIsAStoreExceptionWithARemedy() {
        Path file = Path.of("/proc/self/puck.db");
        assertThatThrownBy(() -> StateStore.open(file, Clock.systemUTC()))
                .isExactlyInstanceOf(StoreException.class)
                .hasMessageContaining(file.toString(), "cannot be opened for writing", "writable", "PUCK_STORE");
    }

    @Test
    void aDirectoryInPlaceOfTheFileIsAStoreException() {
        assertThatThrownBy(() -> StateStore.open(tmp, Clock.systemUTC()))
                .isExactlyInstanceOf(StoreException.class)
                .hasMessageContaining(tmp.toString(), "not a regular file");
    }

    private static String readLine(BufferedReader in) {
        try {
            return in.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
