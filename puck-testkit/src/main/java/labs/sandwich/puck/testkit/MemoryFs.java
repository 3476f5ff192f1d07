package labs.sandwich.puck.testkit;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * One sprite's file system: absolute, normalized paths to bytes, and the directories that
 * hold them. Errors are {@link FileSystemException}s ({@link NoSuchFileException} for a missing
 * path) whose reason is the C library's wording, so commands can print them as a shell would.
 * Stored byte arrays are never changed in place, so they can be handed out without copying.
 * Not thread-safe: the runtime's lock guards it.
 */
final class MemoryFs {
    /** The directories kept as volumes when a sprite is deleted. */
    private static final List<String> VOLUMES = List.of("/home", "/root");

    private static final String NO_SUCH = "No such file or directory";
    private static final String IS_DIR = "Is a directory";
    private static final String NOT_DIR = "Not a directory";

    private final TreeMap<String, byte[]> files = new TreeMap<>();
    private final TreeSet<String> dirs = new TreeSet<>();

    private MemoryFs() {
        dirs.add("/");
    }

    /** @param hostname the sprite's name @return what a fresh sprite from the base image holds */
    static MemoryFs base(String hostname) {
        MemoryFs fs = new MemoryFs();
        for (String d : List.of("/bin", "/etc", "/home", "/opt", "/root", "/tmp", "/usr/bin", "/var/lib/dpkg", "/var/tmp")) {
            fs.mkdirs(d);
        }
        fs.files.put("/etc/os-release", utf8("ID=puck-in-memory\nPRETTY_NAME=\"Puck in-memory sprite\"\n"));
        fs.files.put("/etc/hostname", utf8(hostname + "\n"));
        fs.files.put("/var/lib/dpkg/status", new byte[0]);
        return fs;
    }

    /**
     * @param workdir the directory relative paths start from
     * @param path    a path, absolute or relative
     * @return the absolute path with {@code .}, {@code ..} and repeated slashes resolved
     */
    static String resolve(String workdir, String path) {
        Deque<String> parts = new ArrayDeque<>();
        for (String p : ((path.startsWith("/") ? "" : workdir + "/") + path).split("/")) {
            if (p.equals("..")) {
                parts.pollLast();
            } else if (!p.isEmpty() && !p.equals(".")) {
                parts.addLast(p);
            }
        }
        return "/" + String.join("/", parts);
    }

    boolean isFile(String path) {
        return files.containsKey(path);
    }

    boolean isDirectory(String path) {
        return dirs.contains(path);
    }

    byte[] read(String path) throws FileSystemException {
        byte[] data = files.get(path);
        if (data == null) {
            throw dirs.contains(path) ? new FileSystemException(path, null, IS_DIR) : new NoSuchFileException(path, null, NO_SUCH);
        }
        return data;
    }

    /** Writes a regular file, replacing it; its directory must exist, as with a shell redirect. */
    void write(String path, byte[] data) throws FileSystemException {
        if (dirs.contains(path)) {
            throw new FileSystemException(path, null, IS_DIR);
        }
        requireDirectory(parent(path), path);
        files.put(path, data);
    }

    /** Writes a regular file, creating missing directories first. */
    void writeCreatingParents(String path, byte[] data) throws FileSystemException {
        if (dirs.contains(path)) {
            throw new FileSystemException(path, null, IS_DIR);
        }
        if (firstFileOnTheWay(parent(path)) != null) {
            throw new FileSystemException(path, null, NOT_DIR);
        }
        mkdirs(parent(path));
        files.put(path, data);
    }

    /** Creates a directory; with {@code parents}, missing parents too and no error if it exists. */
    void mkdir(String path, boolean parents) throws FileSystemException {
        if (parents) {
            if (firstFileOnTheWay(path) != null) {
                throw new FileSystemException(path, null, files.containsKey(path) ? "File exists" : NOT_DIR);
            }
            mkdirs(path);
            return;
        }
        if (dirs.contains(path) || files.containsKey(path)) {
            throw new FileSystemException(path, null, "File exists");
        }
        requireDirectory(parent(path), path);
        dirs.add(path);
    }

    /**
     * @param path a directory or a file
     * @return the names in the directory, sorted; for a file, its path
     */
    List<String> list(String path) throws FileSystemException {
        if (files.containsKey(path)) {
            return List.of(path);
        }
        if (!dirs.contains(path)) {
            throw new NoSuchFileException(path, null, NO_SUCH);
        }
        String prefix = path.equals("/") ? "/" : path + "/";
        TreeSet<String> names = new TreeSet<>();
        for (String p : below(prefix)) {
            names.add(p.substring(prefix.length()).split("/", 2)[0]);
        }
        return List.copyOf(names);
    }

    /** Removes a file, or with {@code recursive} a directory and all below it. */
    void remove(String path, boolean recursive) throws FileSystemException {
        if (files.remove(path) != null) {
            return;
        }
        if (!dirs.contains(path)) {
            throw new NoSuchFileException(path, null, NO_SUCH);
        }
        if (!recursive || path.equals("/")) {
            throw new FileSystemException(path, null, IS_DIR);
        }
        String prefix = path + "/";
        files.keySet().removeIf(p -> p.startsWith(prefix));
        dirs.removeIf(p -> p.equals(path) || p.startsWith(prefix));
    }

    /** @return a copy holding only the volumes' directories and files */
    MemoryFs volumes() {
        MemoryFs v = new MemoryFs();
        for (String root : VOLUMES) {
            String prefix = root + "/";
            dirs.stream().filter(d -> d.equals(root) || d.startsWith(prefix)).forEach(v.dirs::add);
            files.forEach((p, data) -> {
                if (p.startsWith(prefix)) {
                    v.files.put(p, data);
                }
            });
        }
        return v;
    }

    /** Replaces the volumes of this file system by those of {@code kept}. */
    void mountVolumes(MemoryFs kept) {
        for (String root : VOLUMES) {
            String prefix = root + "/";
            files.keySet().removeIf(p -> p.startsWith(prefix));
            dirs.removeIf(p -> p.startsWith(prefix));
        }
        dirs.addAll(kept.dirs);
        files.putAll(kept.files);
    }

    /** @return the number of files and directories */
    int size() {
        return files.size() + dirs.size();
    }

    void writeTo(DataOutputStream out) throws IOException {
        out.writeInt(dirs.size());
        for (String d : dirs) {
            out.writeUTF(d);
        }
        out.writeInt(files.size());
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeInt(e.getValue().length);
            out.write(e.getValue());
        }
    }

    static MemoryFs readFrom(DataInputStream in) throws IOException {
        MemoryFs fs = new MemoryFs();
        for (int n = in.readInt(); n > 0; n--) {
            fs.dirs.add(in.readUTF());
        }
        for (int n = in.readInt(); n > 0; n--) {
            String path = in.readUTF();
            fs.files.put(path, in.readNBytes(in.readInt()));
        }
        return fs;
    }

    private NavigableSet<String> below(String prefix) {
        TreeSet<String> all = new TreeSet<>(dirs.subSet(prefix, false, prefix + Character.MAX_VALUE, false));
        all.addAll(files.subMap(prefix, false, prefix + Character.MAX_VALUE, false).keySet());
        return all;
    }

    private void requireDirectory(String dir, String path) throws FileSystemException {
        if (!dirs.contains(dir)) {
            throw firstFileOnTheWay(dir) != null ? new FileSystemException(path, null, NOT_DIR) : new NoSuchFileException(path, null, NO_SUCH);
        }
    }

    /** @return the first existing regular file among {@code path} and its ancestors, from the root down, if any */
    private @Nullable String firstFileOnTheWay(String path) {
        StringBuilder at = new StringBuilder();
        for (String part : path.substring(1).split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            at.append('/').append(part);
            if (files.containsKey(at.toString())) {
                return at.toString();
            }
        }
        return null;
    }

    private void mkdirs(String path) {
        for (String p = path; !p.equals("/"); p = parent(p)) {
            dirs.add(p);
        }
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
