package labs.sandwich.puck.podman.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.FileEntity;

/**
 * Exported checkpoints as files: streaming them out of Podman ({@code checkpoint?export=true},
 * whose tar body the generated client cannot model) with their SHA-256 computed on the way,
 * checking them, and streaming them back in ({@code restore?import=true}). Part of the
 * streaming layer, on the client's own configured HttpClient.
 */
final class CheckpointArchives {
    private final PodmanClient client;

    CheckpointArchives(PodmanClient client) {
        this.client = client;
    }

    /** What an export wrote. */
    record Archive(Path file, long size, String sha256) {}

    /**
     * Exports a checkpoint of a running container (memory, root file-system changes, volumes).
     *
     * @param container    the container
     * @param leaveRunning whether it keeps running afterwards
     * @param target       the file to write; replaced atomically once complete
     */
    Archive export(String container, boolean leaveRunning, Path target) throws IOException {
        return export(container, leaveRunning, false, target);
    }

    /**
     * As {@link #export(String, boolean, Path)}; with {@code keep}, CRIU's images also stay in
     * the container's userdata ({@code checkpoint/}), for a restore in place.
     */
    Archive export(String container, boolean leaveRunning, boolean keep, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        Path part = target.resolveSibling(target.getFileName() + ".part");
        MessageDigest sha = sha256();
        HttpPost post = new HttpPost(PodmanClient.BASE + "/containers/" + container
                + "/checkpoint?export=true&tcpEstablished=true&fileLocks=true&leaveRunning=" + leaveRunning + (keep ? "&keep=true" : ""));
        try {
            client.http().execute(post, r -> {
                if (r.getCode() >= 300) {
                    throw new PodmanCallException(r.getCode(), EntityUtils.toString(r.getEntity()));
                }
                try (InputStream in = r.getEntity().getContent(); OutputStream out = new DigestOutputStream(Files.newOutputStream(part), sha)) {
                    in.transferTo(out);
                }
                return null;
            });
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(part);
        }
        return new Archive(target, Files.size(target), HexFormat.of().formatHex(sha.digest()));
    }

    /**
     * Restores a container from an exported checkpoint, under the name recorded in it. Podman
     * refuses while a container with its id or a volume of its volumes' names exists.
     */
    void importArchive(Path archive) throws IOException {
        importArchive(archive, false);
    }

    /**
     * Restores a container from an exported checkpoint, under the name recorded in it.
     *
     * @param ignoreVolumes whether to use the volumes as they are (they must exist) instead of
     *                      making them from the archive (they must not exist)
     */
    void importArchive(Path archive, boolean ignoreVolumes) throws IOException {
        restore(archive, "tcpEstablished=true" + (ignoreVolumes ? "&ignoreVolumes=true" : ""));
    }

    /**
     * Restores a container from an exported checkpoint under a new name (a fork). Podman
     * cannot combine a new name with established TCP connections, so none are restored.
     */
    void importAs(Path archive, String container) throws IOException {
        restore(archive, "ignoreStaticIP=true&ignoreStaticMAC=true&name=" + java.net.URLEncoder.encode(container, java.nio.charset.StandardCharsets.UTF_8));
    }

    private void restore(Path archive, String options) throws IOException {
        HttpPost post = new HttpPost(PodmanClient.BASE + "/containers/import/restore?import=true&fileLocks=true&" + options);
        post.setEntity(new FileEntity(archive.toFile(), ContentType.create("application/x-tar")));
        client.http().execute(post, r -> {
            String body = r.getEntity() == null ? "" : EntityUtils.toString(r.getEntity());
            if (r.getCode() >= 300) {
                throw new PodmanCallException(r.getCode(), body);
            }
            return null;
        });
    }

    /**
     * Copies a checkpoint archive of sprite {@code from} so that it restores as sprite
     * {@code to} with volumes of its own: Podman's import keeps the volume names recorded in
     * the archive (and refuses while they exist), and offers no way to rename them, so the
     * names are rewritten in the recorded container config ({@code config.dump}), in the OCI
     * spec ({@code spec.dump}) and in the volume archives' names.
     */
    void rewriteForFork(Path archive, String from, String to, Path target) throws IOException {
        Map<String, String> volumes = new java.util.LinkedHashMap<>();
        for (String dir : java.util.List.of("home", "root")) {
            volumes.put(PodmanRuntime.volume(from, dir), PodmanRuntime.volume(to, dir));
        }
        try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(Files.newInputStream(archive));
                var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(Files.newOutputStream(target))) {
            out.setLongFileMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_POSIX);
            out.setBigNumberMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                String name = e.getName().startsWith("./") ? e.getName().substring(2) : e.getName();
                byte[] rewritten = null;
                if (name.equals("config.dump")) {
                    rewritten = rewriteConfig(in.readAllBytes(), from, to, volumes);
                } else if (name.equals("spec.dump")) {
                    String spec = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                    for (var v : volumes.entrySet()) {
                        spec = spec.replace("/volumes/" + v.getKey() + "/", "/volumes/" + v.getValue() + "/");
                    }
                    rewritten = spec.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                } else if (name.startsWith("volumes/")) {
                    String vol = name.substring("volumes/".length(), name.length() - ".tar".length());
                    if (volumes.containsKey(vol)) {
                        e.setName("volumes/" + volumes.get(vol) + ".tar");
                    }
                }
                if (rewritten != null) {
                    // A new entry: the input stream still counts the old one's size to find the next header.
                    var copy = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(e.getName());
                    copy.setMode(e.getMode());
                    copy.setModTime(e.getModTime());
                    copy.setUserId(e.getLongUserId());
                    copy.setGroupId(e.getLongGroupId());
                    copy.setSize(rewritten.length);
                    out.putArchiveEntry(copy);
                    out.write(rewritten);
                } else {
                    out.putArchiveEntry(e);
                    in.transferTo(out);
                }
                out.closeArchiveEntry();
            }
            out.finish();
        }
    }

    /** The fork's own name, label and volumes in Podman's recorded container config. */
    private byte[] rewriteConfig(byte[] json, String from, String to, Map<String, String> volumes) throws IOException {
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) client.json().readTree(json);
        tree.put("name", PodmanRuntime.container(to));
        for (var v : tree.path("namedVolumes")) {
            String name = v.path("volumeName").asText();
            if (volumes.containsKey(name)) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) v).put("volumeName", volumes.get(name));
            }
        }
        if (tree.path("labels") instanceof com.fasterxml.jackson.databind.node.ObjectNode labels && from.equals(labels.path(PodmanRuntime.SPRITE).asText())) {
            labels.put(PodmanRuntime.SPRITE, to);
        }
        return client.json().writeValueAsBytes(tree);
    }

    /**
     * Checks an archive against what was recorded when it was written.
     *
     * @param file   the archive
     * @param size   its recorded size
     * @param sha256 its recorded SHA-256
     * @param sprite the sprite it belongs to, for the error
     * @param id     the snapshot id (or "archive"), for the error
     * @return the file
     * @throws labs.sandwich.puck.api.SnapshotCorruptedException if it is missing, unreadable, truncated or altered
     */
    static Path verify(Path file, long size, String sha256, String sprite, String id) {
        try {
            if (!Files.isRegularFile(file)) {
                throw new labs.sandwich.puck.api.SnapshotCorruptedException(sprite, id, "its archive " + file + " is missing.");
            }
            long actual = Files.size(file);
            String sha = sha256(file);
            if (actual != size || !sha.equals(sha256)) {
                throw new labs.sandwich.puck.api.SnapshotCorruptedException(sprite, id, "its archive " + file + " has " + actual + " bytes and SHA-256 " + sha
                        + ", but " + size + " bytes and " + sha256 + " were recorded.");
            }
            return file;
        } catch (IOException e) {
            throw new labs.sandwich.puck.api.SnapshotCorruptedException(sprite, id, "its archive cannot be read: " + e.getMessage());
        }
    }

    /** @return the file's SHA-256, hex */
    static String sha256(Path file) throws IOException {
        MessageDigest sha = sha256();
        try (InputStream in = Files.newInputStream(file); OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), sha)) {
            in.transferTo(out);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Podman refused a streaming call; carries its status and error body. */
    static final class PodmanCallException extends IOException {
        private static final long serialVersionUID = 1L;
        final int status;

        PodmanCallException(int status, String body) {
            super("HTTP " + status + ": " + body.strip());
            this.status = status;
        }
    }
}
