package labs.sandwich.puck.testkit;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;

/**
 * One in-memory sprite: its spec and state, its file system, and its "memory", the state its
 * processes hold (a counter, listening ports), which hibernation moves to "disk". Not
 * thread-safe: the runtime's lock guards it.
 */
final class MemorySprite {
    /** What a sprite's init and shell hold, before any process state. */
    static final long BASE_MEMORY = 1L << 20;
    private static final String IMAGE_FORMAT = "puck-in-memory-snapshot/1";
    private static final String COUNTER = "counter";
    private static final String LISTEN = "listen:";

    final SpriteSpec spec;
    final Instant createdAt;
    SpriteState state = SpriteState.RUNNING;
    long received;
    long sent;
    Instant stateSince;
    MemoryFs fs;
    private TreeMap<String, String> memory = new TreeMap<>();
    private TreeMap<String, String> disk = new TreeMap<>();

    MemorySprite(SpriteSpec spec, MemoryFs fs, Instant now) {
        this.spec = spec;
        this.fs = fs;
        this.createdAt = now;
        this.stateSince = now;
    }

    /** @return the next value of the counter held in memory, from 1 */
    long nextCounter() {
        long n = Long.parseLong(memory.getOrDefault(COUNTER, "0")) + 1;
        memory.put(COUNTER, Long.toString(n));
        return n;
    }

    /** @param port a port a process of the sprite now listens on */
    void listen(int port) {
        memory.put(LISTEN + port, "");
    }

    /** @param port a port @return whether a process of the sprite listens on it */
    boolean listens(int port) {
        return memory.containsKey(LISTEN + port);
    }

    /** @return the bytes of RAM the sprite holds: none while hibernated */
    long memoryBytes() {
        if (state == SpriteState.HIBERNATED || state == SpriteState.ARCHIVED) {
            return 0;
        }
        long bytes = BASE_MEMORY;
        for (Map.Entry<String, String> e : memory.entrySet()) {
            bytes += 16 + e.getKey().length() + e.getValue().length();
        }
        return bytes;
    }

    /** Moves the memory to disk, freeing the RAM. */
    void checkpoint() {
        disk = memory;
        memory = new TreeMap<>();
    }

    /** Brings the memory back from disk. */
    void restoreCheckpoint() {
        memory = disk;
        disk = new TreeMap<>();
    }

    /** @return memory and file system as bytes, for a snapshot */
    byte[] image() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(IMAGE_FORMAT);
            out.writeInt(memory.size());
            for (Map.Entry<String, String> e : memory.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
            fs.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    /**
     * Replaces memory and file system by an {@link #image()}'s, sharing nothing with it.
     *
     * @param image bytes from {@link #image()}, already checked against their checksum
     */
    void load(byte[] image) {
        TreeMap<String, String> loaded = new TreeMap<>();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(image))) {
            if (!in.readUTF().equals(IMAGE_FORMAT)) {
                throw new IOException("not an in-memory snapshot");
            }
            for (int n = in.readInt(); n > 0; n--) {
                loaded.put(in.readUTF(), in.readUTF());
            }
            fs = MemoryFs.readFrom(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        memory = loaded;
        disk = new TreeMap<>();
    }
}
