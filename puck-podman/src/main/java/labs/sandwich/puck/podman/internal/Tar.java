package labs.sandwich.puck.podman.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** One regular file in and out of the tar streams that libpod's archive endpoint speaks. */
final class Tar {
    private Tar() {}

    /**
     * Writes a tar holding one file.
     *
     * @param name    the entry's path, relative (e.g. {@code root/notes.txt} to land at {@code /root/notes.txt} when extracted at {@code /})
     * @param content the file's bytes
     * @param out     where the tar goes; left open
     */
    static void writeOne(String name, Path content, OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(Files.size(content));
        e.setMode(0644);
        tar.putArchiveEntry(e);
        Files.copy(content, tar);
        tar.closeArchiveEntry();
        tar.finish();
    }

    /**
     * Writes a directory tree as a tar (a build context): directories, regular files with
     * their modes, and symbolic links as links.
     *
     * @param dir the directory; entries are named relative to it
     * @param out where the tar goes; left open
     */
    static void writeTree(Path dir, OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        try (var paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted()::iterator) {
                if (p.equals(dir)) {
                    continue;
                }
                String name = dir.relativize(p).toString().replace('\\', '/');
                if (Files.isSymbolicLink(p)) {
                    TarArchiveEntry link = new TarArchiveEntry(name, org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK);
                    link.setLinkName(Files.readSymbolicLink(p).toString());
                    tar.putArchiveEntry(link);
                } else {
                    TarArchiveEntry e = new TarArchiveEntry(p.toFile(), name);
                    tar.putArchiveEntry(e);
                    if (Files.isRegularFile(p)) {
                        Files.copy(p, tar);
                    }
                }
                tar.closeArchiveEntry();
            }
        }
        tar.finish();
    }

    /**
     * Copies the first regular file of a tar to {@code sink}.
     *
     * @return whether there was a regular file
     */
    static boolean readOne(InputStream in, OutputStream sink) throws IOException {
        TarArchiveInputStream tar = new TarArchiveInputStream(in);
        for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
            if (e.isFile()) {
                tar.transferTo(sink);
                return true;
            }
        }
        return false;
    }
}
