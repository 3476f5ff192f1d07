package labs.sandwich.puck.podman;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Optional;
import labs.sandwich.puck.api.BackendException;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.podman.internal.PodmanClient;
import labs.sandwich.puck.podman.internal.PodmanRuntime;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint that only CRIU can tell is not for this host: the images-version field of
 * CRIU's inventory is changed inside an exported archive (as a checkpoint written by another
 * CRIU would have it), and the recorded checksum recomputed, so Puck's own checks and Podman's
 * pass and CRIU refuses. The error must say so and what to do; the sprite must be untouched.
 */
class PodmanIncompatibleCheckpointTest {
    static final Path DATA = Path.of("target", "podman-incompatible-test").toAbsolutePath();
    final String name = "podlc-criu-" + Long.toHexString(System.nanoTime());
    PodmanRuntime runtime;

    @BeforeEach
    void open() {
        runtime = new PodmanRuntime(new PodmanClient(Path.of("/run/podman/podman.sock")), Clock.systemUTC(), DATA.resolve("snapshots"), Optional.empty());
        runtime.create(SpriteSpec.named(name));
        PodmanTests.startCounter(runtime, name);
        runtime.writeFile(name, "/root/data.txt", new ByteArrayInputStream("mine".getBytes(StandardCharsets.UTF_8)));
        assertThat(PodmanTests.readCounter(runtime, name)).isEqualTo(1);
    }

    @AfterEach
    void close() {
        if (runtime.inspect(name).isPresent()) {
            runtime.delete(name, DeletePolicy.PURGE);
        }
        runtime.close();
    }

    @Test
    @DisplayName("restore from a snapshot CRIU refuses: a BackendException that names CRIU and the fix; the sprite runs on with its memory and files")
    void restoreFromAnIncompatibleSnapshot() throws Exception {
        Snapshot good = runtime.snapshot(name, SnapshotId.random(), "good");
        SnapshotId id = SnapshotId.random();
        Path tampered = runtime.snapshotFile(id);
        try {
            fromAnotherCriu(runtime.snapshotFile(good.id()), tampered);
            Snapshot foreign = new Snapshot(id, name, "foreign", good.createdAt(), Files.size(tampered), sha256(tampered), good.contents());

            assertThatThrownBy(() -> runtime.restore(name, foreign)).isInstanceOfSatisfying(BackendException.class, e -> {
                assertThat(e.getMessage()).contains("CRIU refused");
                assertThat(e.remedy()).hasValueSatisfying(r -> assertThat(r).contains("another kernel", "CRIU version", "put back as it was"));
                assertKeptRestoreLog(e);
            });
            assertThat(runtime.inspect(name).orElseThrow().state()).isEqualTo(SpriteState.RUNNING);
            assertThat(PodmanTests.readCounter(runtime, name)).as("its memory, as before the attempt").isEqualTo(2);
            assertThat(PodmanServiceKillTest.read(runtime, name, "/root/data.txt")).isEqualTo("mine");
        } finally {
            runtime.deleteSnapshot(good);
            Files.deleteIfExists(tampered);
        }
    }

    @Test
    @DisplayName("wake of an archive CRIU refuses: the error says what to do; the sprite stays ARCHIVED with its archive and volumes")
    void wakeFromAnIncompatibleArchive() throws Exception {
        runtime.hibernate(name);
        runtime.archive(name);
        Path archive = DATA.resolve("archives").resolve(name + ".tar");
        Path record = DATA.resolve("archives").resolve(name + ".json");
        Path tampered = archive.resolveSibling("tampered.tar");
        fromAnotherCriu(archive, tampered);
        Files.move(tampered, archive, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ObjectMapper json = new ObjectMapper();
        ObjectNode r = (ObjectNode) json.readTree(record.toFile());
        r.put("size", Files.size(archive)).put("sha256", sha256(archive));
        json.writeValue(record.toFile(), r);

        assertThatThrownBy(() -> runtime.wake(name)).isInstanceOfSatisfying(BackendException.class, e -> {
            System.out.println("wake of an incompatible archive: " + e.getMessage());
            assertThat(e.getMessage()).contains("CRIU refused");
            assertThat(e.remedy()).hasValueSatisfying(rem -> assertThat(rem).contains("Nothing was changed", "another kernel", "without PURGE"));
            assertKeptRestoreLog(e);
        });
        assertThat(runtime.inspect(name).orElseThrow().state()).isEqualTo(SpriteState.ARCHIVED);
        assertThat(archive).exists();
        try (PodmanClient client = new PodmanClient(Path.of("/run/podman/podman.sock"))) {
            client.volumes().volumeExists("puck-" + name + "-root");
            assertThatThrownBy(() -> client.containers().containerExists("puck-" + name)).as("no half-restored container left").isNotNull();
        }
    }

    /** Copies an exported checkpoint with CRIU's inventory claiming images version 7 (this CRIU writes and reads 2). */
    static void fromAnotherCriu(Path from, Path to) throws IOException {
        boolean changed = false;
        try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(from));
                TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(to))) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                out.putArchiveEntry(e);
                if (e.getName().replaceFirst("^\\./", "").equals("checkpoint/inventory.img")) {
                    byte[] img = in.readAllBytes();
                    // magic (4 bytes), entry size (4), then InventoryEntry: field 1 img_version, varint 2
                    assertThat(img[8]).isEqualTo((byte) 0x08);
                    assertThat(img[9]).isEqualTo((byte) 0x02);
                    img[9] = 0x07;
                    out.write(img);
                    changed = true;
                } else {
                    in.transferTo(out);
                }
                out.closeArchiveEntry();
            }
            out.finish();
        }
        assertThat(changed).as("the archive holds CRIU's inventory").isTrue();
    }

    static String sha256(Path file) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The error names a copy of CRIU's restore.log outside the container's directory, where the next restore would overwrite it. */
    private static void assertKeptRestoreLog(BackendException e) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("restore\\.log kept as (\\S+)\\)").matcher(e.getMessage());
        assertThat(m.find()).as("the error names the kept restore.log: " + e.getMessage()).isTrue();
        Path kept = Path.of(m.group(1));
        assertThat(kept).startsWith(DATA.resolve("criu-logs"));
        assertThat(kept).content().contains("Error (");
    }
}
