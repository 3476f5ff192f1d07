package labs.sandwich.puck.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.StoreCorruptedException;
import labs.sandwich.puck.api.StoreException;
import labs.sandwich.puck.api.StoreLockedException;
import labs.sandwich.puck.api.StoreVersionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A store that is garbage, truncated, newer, locked or unwritable: a specific error, and the file untouched. */
class StateStoreFaultsTest {
    @TempDir
    Path tmp;

    @Test
    void aFileThatIsNotADatabaseIsRefusedAndLeftAlone() throws Exception {
        Path file = tmp.resolve("puck.db");
        byte[] garbage = "this is not a database, it is a shopping list\n".repeat(200).getBytes(StandardCharsets.UTF_8);
        Files.write(file, garbage);
        assertThatThrownBy(() -> StateStore.open(file, Clock.systemUTC()))
                .isInstanceOfSatisfying(StoreCorruptedException.class, e -> {
                    assertThat(e.file()).isEqualTo(file.toAbsolutePath());
                    assertThat(e.getMessage()).contains("not a readable Puck store", "left it untouched", "PUCK-STORE-002");
                });
        assertThat(Files.readAllBytes(file)).isEqualTo(garbage);
        assertThat(tmp.resolve("puck.db-wal")).doesNotExist();
    }

    @Test
    void aTruncatedDatabaseIsRefusedAndLeftAlone() throws Exception {
        Path file = tmp.resolve("puck.db");
        try (StateStore s = StateStore.open(file, Clock.systemUTC())) {
            for (int i = 0; i < 200; i++) {
                s.insertSprite(new SpriteRecord("s" + i, "x", SpriteState.RUNNING, SpriteSpec.named("s" + i).withEnv("PAD", "p".repeat(500)),
                        java.time.Instant.EPOCH, java.time.Instant.EPOCH));
            }
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
            st.execute("PRAGMA journal_mode=DELETE");
        }
        byte[] whole = Files.readAllBytes(file);
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length / 2);
        Files.write(file, cut);
        assertThatThrownBy(() -> StateStore.open(file, Clock.systemUTC())).isInstanceOf(StoreCorruptedException.class);
        assertThat(Files.readAllBytes(file)).isEqualTo(cut);
    }

    @Test
    void aStoreFromANewerPuckIsRefusedBeforeAnyWrite() throws Exception {
        Path file = tmp.resolve("puck.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE future(x)");
            st.execute("PRAGMA user_version = 7");
        }
        byte[] before = Files.readAllBytes(file);
        assertThatThrownBy(() -> StateStore.open(file, Clock.systemUTC()))
                .isInstanceOfSatisfying(StoreVersionException.class, e -> {
                    assertThat(e.found()).isEqualTo(7);
                    assertThat(e.supported()).isEqualTo(StateStore.SCHEMA_VERSION);
                    assertThat(e.getMessage()).contains("schema version is 7", "Upgrade Puck");
                });
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    @Test
    void aStoreHeldLockedByAnotherConnectionTimesOutWithAClearError() throws Exception {
        Path file = tmp.resolve("puck.db");
        StateStore.open(file, Clock.systemUTC()).close();
        try (Connection holder = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = holder.createStatement()) {
            st.execute("BEGIN EXCLUSIVE");
            try (StateStore store = StateStore.open(file, Clock.systemUTC(), Duration.ofMillis(300))) {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> store.insertSprite(new SpriteRecord("x", "x", SpriteState.RUNNING, SpriteSpec.named("x"),
                        java.time.Instant.EPOCH, java.time.Instant.EPOCH)))
                        .isInstanceOfSatisfying(StoreLockedException.class, e -> assertThat(e.getMessage()).contains("locked", "fuser"));
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            }
            st.execute("ROLLBACK");
        }
        try (StateStore store = StateStore.open(file, Clock.systemUTC())) {
            assertThat(store.sprites()).as("nothing was written while locked").isEmpty();
        }
    }

    @Test
    void anUncreatableDirectoryIsAStoreException() throws Exception {
        Path blocker = Files.writeString(tmp.resolve("a-file"), "x");
        assertThatThrownBy(() -> StateStore.open(blocker.resolve("puck.db"), Clock.systemUTC()))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.getMessage()).contains("directory cannot be created", "PUCK_STORE"));
        assertThatThrownBy(() -> StateStore.open(tmp, Clock.systemUTC())).hasMessageContaining("not a regular file");
    }
}
