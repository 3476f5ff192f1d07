package labs.sandwich.puck.podman.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import labs.sandwich.puck.api.SnapshotCorruptedException;

/**
 * Archived sprites: {@code <dir>/<sprite>.tar} (the exported checkpoint: memory, root file
 * system changes, volume contents) and {@code <dir>/<sprite>.json}, its record, written
 * atomically after the archive: the archive's size and SHA-256 and what Podman knew of the
 * container (labels, environment, image, creation time), so that the sprite can be listed,
 * inspected and adopted with no container left. A record is the proof of a complete archive:
 * an archive without one is a leftover of an interrupted archiving.
 */
final class SpriteArchives {
    /** What is kept of an archived sprite besides its checkpoint. */
    record Record(String sprite, long size, String sha256, Instant archivedAt, Instant created, String image,
            Map<String, String> labels, List<String> env, String containerId) {}

    private final Path dir;
    private final ObjectMapper json;

    SpriteArchives(Path dir, ObjectMapper json) {
        this.dir = dir;
        this.json = json;
    }

    Path dir() {
        return dir;
    }

    Path archive(String sprite) {
        return dir.resolve(sprite + ".tar");
    }

    private Path record(String sprite) {
        return dir.resolve(sprite + ".json");
    }

    /** Writes the record, atomically: until it exists the archive does not count. */
    void write(Record r) throws IOException {
        Files.createDirectories(dir);
        ObjectNode n = json.createObjectNode();
        n.put("sprite", r.sprite()).put("size", r.size()).put("sha256", r.sha256()).put("archivedAt", r.archivedAt().toString())
                .put("created", r.created().toString()).put("image", r.image()).put("containerId", r.containerId());
        ObjectNode labels = n.putObject("labels");
        r.labels().forEach(labels::put);
        r.env().forEach(n.putArray("env")::add);
        Path part = record(r.sprite()).resolveSibling(r.sprite() + ".json.part");
        try {
            Files.write(part, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
            Files.move(part, record(r.sprite()), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    /** @return the sprite's record, if it is archived */
    Optional<Record> find(String sprite) {
        Path file = record(sprite);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            JsonNode n = json.readTree(file.toFile());
            Map<String, String> labels = new LinkedHashMap<>();
            n.path("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
            List<String> env = new ArrayList<>();
            n.path("env").forEach(v -> env.add(v.asText()));
            return Optional.of(new Record(n.path("sprite").asText(), n.path("size").asLong(), n.path("sha256").asText(),
                    Instant.parse(n.path("archivedAt").asText()), Instant.parse(n.path("created").asText()), n.path("image").asText(),
                    labels, env, n.path("containerId").asText()));
        } catch (IOException | RuntimeException e) {
            throw new SnapshotCorruptedException(sprite, "archive", "its archive record " + file + " cannot be read: " + e.getMessage());
        }
    }

    /** @return the names of every archived sprite */
    List<String> sprites() {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                out.add(name.substring(0, name.length() - ".json".length()));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    /**
     * @return the archive, after checking its size and SHA-256 against the record
     * @throws SnapshotCorruptedException if it is missing, truncated or altered; nothing is deleted
     */
    Path verified(Record r) {
        return CheckpointArchives.verify(archive(r.sprite()), r.size(), r.sha256(), r.sprite(), "archive");
    }

    /** Removes the record first (the sprite is no longer archived), then the archive. */
    void delete(String sprite) {
        try {
            Files.deleteIfExists(record(sprite));
            Files.deleteIfExists(archive(sprite));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
