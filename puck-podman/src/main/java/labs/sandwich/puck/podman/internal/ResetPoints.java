package labs.sandwich.puck.podman.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a fast reset needs, kept beside a snapshot in {@code <snapshots>/<id>.reset/}: CRIU's
 * images of the checkpoint (moved out of the container's userdata, where Podman would reuse
 * the directory), a copy of the container's writable layer and of its volumes as they were at
 * that checkpoint, and a manifest of the live trees (inode, ctime, size, mode, owner of every
 * entry). A reset then stops the container, puts back only the entries whose inode, ctime or
 * size changed (regular files patched block by block, so a 100 MB InnoDB log with a few dirty
 * pages costs a read, not a copy), removes what was added, and restores the container in place
 * from hard links to the kept images: no archive is written or imported.
 *
 * <p>Valid only for the container it was taken of (its id is recorded): a restore or a wake
 * from an archive makes a new container, and the runtime then falls back to the archive.
 * The socket is local (the probe requires it for checkpoints), so these paths are this host's.
 */
final class ResetPoints {
    private static final int FORMAT = 1;
    private static final int BLOCK = 1 << 16;
    private static final long MAP = 1L << 28;
    private final Path dir;

    ResetPoints(Path snapshotDir) {
        this.dir = snapshotDir;
    }

    Path dirOf(String snapshotId) {
        return dir.resolve(snapshotId + ".reset");
    }

    /** One tree a reset puts back: the writable layer ({@code upper}) or a volume ({@code volume-<name>}), live at {@code path}. */
    record Tree(String key, Path live) {}

    /** A kept reset point. */
    record Point(Path dir, String containerId, Map<String, Map<String, Entry>> manifests) {
        Path checkpoint() {
            return dir.resolve("checkpoint");
        }

        Path devShm() {
            return dir.resolve("devshm-checkpoint.tar");
        }

        Path copy(String key) {
            return dir.resolve("files").resolve(key);
        }
    }

    /** What the manifest knows of one entry of a live tree. */
    record Entry(long inode, long ctimeNanos, long size, int mode, int uid, int gid) {
        boolean isDirectory() {
            return (mode & 0170000) == 0040000;
        }

        boolean isRegular() {
            return (mode & 0170000) == 0100000;
        }

        int type() {
            return mode & 0170000;
        }
    }

    /**
     * Keeps the reset point of a container that was just checkpointed with {@code keep=true}
     * and is stopped: moves its checkpoint images here, copies its trees and records them.
     */
    Point keep(String snapshotId, String containerId, Path userdata, List<Tree> trees) throws IOException {
        Path target = dirOf(snapshotId);
        deleteTree(target);
        Files.createDirectories(target.resolve("files"));
        Point p = new Point(target, containerId, new LinkedHashMap<>());
        forgetExportLeftovers(userdata);
        Files.move(userdata.resolve("checkpoint"), p.checkpoint(), StandardCopyOption.ATOMIC_MOVE);
        if (Files.isRegularFile(userdata.resolve("devshm-checkpoint.tar"))) {
            Files.copy(userdata.resolve("devshm-checkpoint.tar"), p.devShm());
        }
        for (Tree t : trees) {
            cp(List.of("-a", "--no-target-directory", t.live().toString(), p.copy(t.key()).toString()));
            p.manifests().put(t.key(), scan(t.live()));
        }
        Files.writeString(target.resolve("container"), containerId);
        writeManifests(p);
        return p;
    }

    /** @return the kept point of a snapshot, if it is complete */
    java.util.Optional<Point> find(String snapshotId) {
        Path d = dirOf(snapshotId);
        try {
            if (!Files.isRegularFile(d.resolve("manifest")) || !Files.isRegularFile(d.resolve("checkpoint").resolve("inventory.img"))) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(new Point(d, Files.readString(d.resolve("container")).strip(), readManifests(d.resolve("manifest"))));
        } catch (IOException | UncheckedIOException e) {
            return java.util.Optional.empty();
        }
    }

    /**
     * Puts the container's stopped trees back as the point recorded them, and its userdata's
     * checkpoint as hard links to the kept images (CRIU only reads them on restore; the links
     * are removed after it, before any later checkpoint could write into that directory).
     */
    void prepare(Point p, Path userdata, List<Tree> trees) throws IOException {
        for (Tree t : trees) {
            Map<String, Entry> manifest = p.manifests().get(t.key());
            if (manifest == null) {
                throw new IOException("the reset point " + p.dir() + " has no copy of " + t.key());
            }
            sync(t.live(), p.copy(t.key()), manifest);
        }
        writeManifests(p);
        linkCheckpoint(p, userdata);
    }

    void linkCheckpoint(Point p, Path userdata) throws IOException {
        forgetExportLeftovers(userdata);
        Path live = userdata.resolve("checkpoint");
        deleteTree(live);
        Files.createDirectories(live);
        try (Stream<Path> files = Files.list(p.checkpoint())) {
            for (Path f : files.toList()) {
                if (Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS)) {
                    cp(List.of("-al", f.toString(), live.resolve(f.getFileName()).toString()));
                } else {
                    Files.createLink(live.resolve(f.getFileName()), f);
                }
            }
        }
        if (Files.isRegularFile(p.devShm())) {
            Files.copy(p.devShm(), userdata.resolve("devshm-checkpoint.tar"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * An export with {@code keep=true} leaves the root file-system diff it wrote in the
     * container's userdata, and Podman applies it on every in-place restore after: it would
     * extract the whole writable layer again (for a seeded database, hundreds of MB) and give
     * every file in it a new inode, so each reset would find them all changed. The trees are
     * put back by the reset itself.
     */
    static void forgetExportLeftovers(Path userdata) throws IOException {
        Files.deleteIfExists(userdata.resolve("rootfs-diff.tar"));
        Files.deleteIfExists(userdata.resolve("deleted.files"));
    }

    /** Removes the links {@link #linkCheckpoint} made, so that no later checkpoint writes through them. */
    static void unlinkCheckpoint(Path userdata) throws IOException {
        deleteTree(userdata.resolve("checkpoint"));
    }

    void delete(String snapshotId) throws IOException {
        deleteTree(dirOf(snapshotId));
    }

    // ---- the trees ----

    /** Makes {@code live} equal to {@code copy}, visiting only what changed since the manifest; updates the manifest. */
    static void sync(Path live, Path copy, Map<String, Entry> manifest) throws IOException {
        Set<String> seen = new HashSet<>();
        List<String> replace = new ArrayList<>();
        List<String> patch = new ArrayList<>();
        Files.walkFileTree(live, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                return d.equals(live) ? FileVisitResult.CONTINUE : visit(d);
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                visit(f);
                return FileVisitResult.CONTINUE;
            }

            private FileVisitResult visit(Path p) throws IOException {
                String rel = live.relativize(p).toString();
                Entry want = manifest.get(rel);
                if (want == null) {
                    deleteTree(p); // added since the checkpoint (a whiteout too: the lower file shows again)
                    return FileVisitResult.SKIP_SUBTREE;
                }
                seen.add(rel);
                Entry now = stat(p);
                if (now.type() != want.type() || now.inode() != want.inode()) {
                    deleteTree(p);
                    replace.add(rel);
                    return FileVisitResult.SKIP_SUBTREE;
                }
                if (want.isDirectory()) {
                    if (now.mode() != want.mode() || now.uid() != want.uid() || now.gid() != want.gid()) {
                        restoreOwnerAndMode(p, want);
                    }
                    return FileVisitResult.CONTINUE;
                }
                if (now.ctimeNanos() != want.ctimeNanos() || now.size() != want.size()) {
                    if (want.isRegular()) {
                        patch.add(rel);
                    } else {
                        deleteTree(p);
                        replace.add(rel);
                    }
                }
                return FileVisitResult.CONTINUE;
            }
        });
        for (String rel : patch) {
            patchFile(copy.resolve(rel), live.resolve(rel));
            manifest.put(rel, stat(live.resolve(rel)));
        }
        // Missing entries, parents first; a directory copied whole brings its children.
        List<String> missing = new ArrayList<>(manifest.keySet().stream().filter(k -> !seen.contains(k)).toList());
        missing.addAll(replace);
        missing.sort(Comparator.naturalOrder());
        String copiedDir = null;
        for (String rel : missing) {
            if (copiedDir != null && rel.startsWith(copiedDir + "/")) {
                continue;
            }
            Path target = live.resolve(rel);
            deleteTree(target);
            cp(List.of("-a", "--no-target-directory", copy.resolve(rel).toString(), target.toString()));
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                copiedDir = rel;
                manifest.keySet().removeIf(k -> k.startsWith(rel + "/"));
                scanInto(live, target, manifest);
            }
            manifest.put(rel, stat(target));
        }
    }

    /**
     * Writes the blocks of {@code live} that differ from {@code copy}, fixes its length, mode,
     * owner and times. Both are mapped (they are in the page cache after the first reset) and
     * compared a block at a time with the JDK's vectorized mismatch: reading a 100 MB file costs
     * a few tens of ms, and only changed blocks are written.
     */
    private static void patchFile(Path copy, Path live) throws IOException {
        try (FileChannel src = FileChannel.open(copy, StandardOpenOption.READ);
                FileChannel dst = FileChannel.open(live, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = src.size();
            long common = Math.min(size, dst.size());
            for (long region = 0; region < common; region += MAP) {
                long len = Math.min(MAP, common - region);
                java.nio.MappedByteBuffer a = src.map(FileChannel.MapMode.READ_ONLY, region, len);
                java.nio.MappedByteBuffer b = dst.map(FileChannel.MapMode.READ_ONLY, region, len);
                for (int off = 0; off < len; off += BLOCK) {
                    int n = (int) Math.min(BLOCK, len - off);
                    ByteBuffer x = a.slice(off, n);
                    if (!x.equals(b.slice(off, n))) {
                        while (x.hasRemaining()) {
                            dst.write(x, region + off + x.position());
                        }
                    }
                }
            }
            if (dst.size() > size) {
                dst.truncate(size);
            } else if (dst.size() < size) {
                src.transferTo(dst.size(), size - dst.size(), dst.position(dst.size()));
            }
        }
        Entry want = stat(copy);
        restoreOwnerAndMode(live, want);
        BasicFileAttributes times = Files.readAttributes(copy, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Files.getFileAttributeView(live, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(times.lastModifiedTime(), times.lastAccessTime(), null);
    }

    private static void restoreOwnerAndMode(Path p, Entry want) throws IOException {
        Files.setAttribute(p, "unix:uid", want.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", want.gid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:mode", want.mode() & 07777, LinkOption.NOFOLLOW_LINKS);
    }

    static Map<String, Entry> scan(Path root) throws IOException {
        Map<String, Entry> out = new TreeMap<>();
        scanInto(root, root, out);
        return out;
    }

    private static void scanInto(Path root, Path start, Map<String, Entry> out) throws IOException {
        Files.walkFileTree(start, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                if (!d.equals(root)) {
                    out.put(root.relativize(d).toString(), stat(d));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                out.put(root.relativize(f).toString(), stat(f));
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static Entry stat(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:ino,ctime,size,mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
        return new Entry((Long) a.get("ino"), ((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS), (Long) a.get("size"),
                (Integer) a.get("mode"), (Integer) a.get("uid"), (Integer) a.get("gid"));
    }

    // ---- the manifest file ----

    private static void writeManifests(Point p) throws IOException {
        Path part = p.dir().resolve("manifest.part");
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(part)))) {
            out.writeInt(FORMAT);
            out.writeInt(p.manifests().size());
            for (var tree : p.manifests().entrySet()) {
                out.writeUTF(tree.getKey());
                out.writeInt(tree.getValue().size());
                for (var e : tree.getValue().entrySet()) {
                    out.writeUTF(e.getKey());
                    Entry v = e.getValue();
                    out.writeLong(v.inode());
                    out.writeLong(v.ctimeNanos());
                    out.writeLong(v.size());
                    out.writeInt(v.mode());
                    out.writeInt(v.uid());
                    out.writeInt(v.gid());
                }
            }
        }
        Files.move(part, p.dir().resolve("manifest"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Map<String, Map<String, Entry>> readManifests(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != FORMAT) {
                throw new IOException("unknown manifest format in " + file);
            }
            Map<String, Map<String, Entry>> out = new LinkedHashMap<>();
            for (int t = in.readInt(); t > 0; t--) {
                String key = in.readUTF();
                Map<String, Entry> m = new TreeMap<>();
                for (int n = in.readInt(); n > 0; n--) {
                    m.put(in.readUTF(), new Entry(in.readLong(), in.readLong(), in.readLong(), in.readInt(), in.readInt(), in.readInt()));
                }
                out.put(key, m);
            }
            return out;
        }
    }

    // ---- files ----

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(p);
            return;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Runs {@code cp} (argv, never a shell): it keeps what Java's copy does not (xattrs such as overlay's opaque marks, devices, hard links). */
    private static void cp(List<String> args) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add("cp");
        argv.addAll(args);
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", argv) + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted: " + String.join(" ", argv));
        }
    }
}
