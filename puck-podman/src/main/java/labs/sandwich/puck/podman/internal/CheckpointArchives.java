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
        Files.createDirectories(target.getParent());
        Path part = target.resolveSibling(target.getFileName() + ".part");
        MessageDigest sha = sha256();
        HttpPost post = new HttpPost(PodmanClient.BASE + "/containers/" + container
                + "/checkpoint?export=true&tcpEstablished=true&fileLocks=true&leaveRunning=" + leaveRunning);
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
        HttpPost post = new HttpPost(PodmanClient.BASE + "/containers/import/restore?import=true&tcpEstablished=true&fileLocks=true");
        post.setEntity(new FileEntity(archive.toFile(), ContentType.create("application/x-tar")));
        client.http().execute(post, r -> {
            String body = r.getEntity() == null ? "" : EntityUtils.toString(r.getEntity());
            if (r.getCode() >= 300) {
                throw new PodmanCallException(r.getCode(), body);
            }
            return null;
        });
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
