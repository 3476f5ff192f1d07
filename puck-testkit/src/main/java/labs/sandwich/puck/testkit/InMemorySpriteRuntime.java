package labs.sandwich.puck.testkit;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import labs.sandwich.puck.api.BackendException;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.Console;
import labs.sandwich.puck.api.ConsoleRequest;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.ExecResult;
import labs.sandwich.puck.api.IllegalSpriteStateException;
import labs.sandwich.puck.api.ImageNotFoundException;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.OperationInterruptedException;
import labs.sandwich.puck.api.OperationTimeoutException;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.Readiness;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotCorruptedException;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteInfo;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.UnsupportedCapabilityException;
import labs.sandwich.puck.spi.Endpoint;
import labs.sandwich.puck.spi.SpriteRuntime;

/**
 * A faithful runtime without containers, for tests: it keeps the real state rules
 * ({@link SpriteState}), a file system per sprite with {@code /home} and {@code /root} as volumes
 * that survive a delete, a "memory" that hibernation moves to "disk" (so a hibernated sprite
 * holds none), snapshots stored as bytes with a real SHA-256 that restore verifies, and a few
 * built-in commands for exec:
 *
 * <table>
 * <caption>Built-in commands</caption>
 * <tr><td>{@code echo ARGS…}, {@code true}, {@code false}, {@code pwd}, {@code env}</td><td>as in a shell</td></tr>
 * <tr><td>{@code cat [PATH]}, {@code ls PATH}, {@code touch PATH}, {@code mkdir -p PATH}, {@code rm PATH}</td><td>on the sprite's files; {@code cat} without a path echoes stdin</td></tr>
 * <tr><td>{@code write PATH TEXT}</td><td>writes a file</td></tr>
 * <tr><td>{@code sleep SECONDS}</td><td>really sleeps; honours the request's timeout and interrupts</td></tr>
 * <tr><td>{@code counter}</td><td>increments and prints a counter held in memory: the proof that memory survives</td></tr>
 * <tr><td>{@code listen PORT}</td><td>marks a port as listening, for readiness</td></tr>
 * <tr><td>{@code apt-get install -y PKG…}</td><td>records packages in {@code /var/lib/dpkg/status}</td></tr>
 * </table>
 * Anything else exits 127 with "command not found". The console is a line interpreter of the
 * same commands, not a PTY.
 *
 * <p>Never registered in {@code META-INF/services}: on a test class path it would otherwise
 * be discovered by {@code Puck.open()}. Pass it explicitly: {@code Puck.builder().runtime(rt)}.
 * Thread-safe. For engine tests it counts calls ({@link #calls}) and can fail on demand ({@link #failNext}).
 */
public final class InMemorySpriteRuntime implements SpriteRuntime {
    /** The runtime's name. */
    public static final String NAME = "in-memory";
    private static final List<String> VOLUMES = List.of("/home/", "/root/");
    private static final long BASE_MEMORY = 1L << 20;

    private final Clock clock;
    private final Set<Capability> capabilities;
    private final Set<ImageRef> images = ConcurrentHashMap.newKeySet();
    private final Map<String, Box> sprites = new HashMap<>();
    private final Map<String, TreeMap<String, byte[]>> keptVolumes = new HashMap<>();
    private final Map<SnapshotId, byte[]> blobs = new HashMap<>();
    private final Map<String, Integer> calls = new ConcurrentHashMap<>();
    private final Map<String, PuckException> failures = new ConcurrentHashMap<>();

    /** One sprite's state. Guarded by the runtime's lock. */
    private static final class Box {
        SpriteSpec spec;
        SpriteState state = SpriteState.RUNNING;
        Instant createdAt;
        Instant stateSince;
        TreeMap<String, byte[]> files = new TreeMap<>();
        TreeMap<String, Long> memory = new TreeMap<>();
        TreeMap<String, Long> disk;
        Set<Integer> listening = new HashSet<>();

        Box(SpriteSpec spec, Instant now) {
            this.spec = spec;
            this.createdAt = now;
            this.stateSince = now;
        }
    }

    /** A runtime with every capability and the system clock. */
    public InMemorySpriteRuntime() {
        this(Clock.systemUTC(), EnumSet.allOf(Capability.class));
    }

    private InMemorySpriteRuntime(Clock clock, Set<Capability> capabilities) {
        this.clock = clock;
        this.capabilities = Set.copyOf(capabilities);
        images.add(ImageRef.DEFAULT);
    }

    /** @return a builder, to choose the clock or declare fewer capabilities */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link InMemorySpriteRuntime}. */
    public static final class Builder {
        private Clock clock = Clock.systemUTC();
        private Set<Capability> capabilities = EnumSet.allOf(Capability.class);

        private Builder() {}

        /** @param clock the clock for timestamps @return this builder */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** @param capabilities what the runtime declares; other operations throw {@link UnsupportedCapabilityException} @return this builder */
        public Builder capabilities(Set<Capability> capabilities) {
            this.capabilities = capabilities.isEmpty() ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(capabilities);
            return this;
        }

        /** @return the runtime */
        public InMemorySpriteRuntime build() {
            return new InMemorySpriteRuntime(clock, capabilities);
        }
    }

    // ---- test hooks ----

    /** @param image an image sprites may be created from, besides {@link ImageRef#DEFAULT} */
    public void addImage(ImageRef image) {
        images.add(image);
    }

    /**
     * @param sprite    a sprite
     * @param operation an SPI method name, e.g. {@code wake}
     * @return how many times it was called for that sprite (including calls that failed)
     */
    public int calls(String sprite, String operation) {
        return calls.getOrDefault(sprite + "/" + operation, 0);
    }

    /**
     * Makes the next call of an operation (for any sprite) throw {@code error}, changing nothing.
     *
     * @param operation an SPI method name, e.g. {@code hibernate}
     * @param error     what to throw
     */
    public void failNext(String operation, PuckException error) {
        failures.put(operation, error);
    }

    /** @param id a snapshot whose stored bytes get damaged, as a disk error would */
    public synchronized void corrupt(SnapshotId id) {
        byte[] blob = blobs.get(id);
        if (blob == null) {
            throw new IllegalArgumentException("no stored snapshot " + id);
        }
        blob[blob.length / 2] ^= 0x5a;
    }

    /** @param sprite a sprite @return the bytes of memory it holds now: none when hibernated */
    public synchronized long memoryHeld(String sprite) {
        Box b = box(sprite);
        return b.state == SpriteState.HIBERNATED ? 0 : BASE_MEMORY + 16L * b.memory.size();
    }

    // ---- SPI ----

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public String unsupportedReason(Capability capability) {
        return "this in-memory runtime was built without " + capability;
    }

    @Override
    public synchronized SpriteInfo create(SpriteSpec spec) {
        enter(spec.name(), "create", null);
        if (sprites.containsKey(spec.name())) {
            throw new SpriteAlreadyExistsException(spec.name());
        }
        if (!images.contains(spec.image())) {
            throw new ImageNotFoundException(spec.image(), "Register it first: runtime.addImage(ImageRef.of(\"" + spec.image() + "\")).");
        }
        Box b = new Box(spec, clock.instant());
        b.files.put("/etc/os-release", "ID=puck-in-memory\n".getBytes(StandardCharsets.UTF_8));
        b.files.putAll(keptVolumes.getOrDefault(spec.name(), new TreeMap<>()));
        sprites.put(spec.name(), b);
        return info(spec.name(), b);
    }

    @Override
    public synchronized Optional<SpriteInfo> inspect(String sprite) {
        return Optional.ofNullable(sprites.get(sprite)).map(b -> info(sprite, b));
    }

    @Override
    public synchronized List<SpriteInfo> list() {
        return sprites.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> info(e.getKey(), e.getValue())).toList();
    }

    @Override
    public ExecResult exec(String sprite, ExecRequest request) {
        long t0 = System.nanoTime();
        synchronized (this) {
            enter(sprite, "exec", Capability.EXEC);
            requireState(sprite, "exec", SpriteState.RUNNING);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = run(sprite, request, request.stdin(), out, err);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
        return new ExecResult(sprite, request.argv(), code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), elapsed);
    }

    @Override
    public Console console(String sprite, ConsoleRequest request) {
        synchronized (this) {
            enter(sprite, "console", Capability.CONSOLE);
            requireState(sprite, "console", SpriteState.RUNNING);
        }
        return new LineConsole(this, sprite);
    }

    /** Runs one built-in command; used by exec and by the console. */
    int run(String sprite, ExecRequest request, byte[] stdin, OutputStream outStream, OutputStream errStream) {
        List<String> argv = request.argv();
        List<String> args = argv.subList(1, argv.size());
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        int code;
        if (argv.getFirst().equals("sleep")) {
            code = sleep(sprite, args, request.timeout(), err);
        } else {
            synchronized (this) {
                requireState(sprite, argv.getFirst(), SpriteState.RUNNING);
                code = builtin(box(sprite), request, args, stdin, out, err);
            }
        }
        try {
            outStream.write(out.toString().getBytes(StandardCharsets.UTF_8));
            errStream.write(err.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return code;
    }

    private int builtin(Box b, ExecRequest request, List<String> args, byte[] stdin, StringBuilder out, StringBuilder err) {
        String program = request.argv().getFirst();
        switch (program) {
            case "true":
                return 0;
            case "false":
                return 1;
            case "echo":
                out.append(String.join(" ", args)).append('\n');
                return 0;
            case "pwd":
                out.append(request.workdir() == null ? "/root" : request.workdir()).append('\n');
                return 0;
            case "env":
                Map<String, String> env = new TreeMap<>(b.spec.env());
                env.putAll(request.env());
                env.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
                return 0;
            case "cat":
                if (args.isEmpty()) {
                    out.append(new String(stdin, StandardCharsets.UTF_8));
                    return 0;
                }
                for (String path : args) {
                    byte[] data = b.files.get(path);
                    if (data == null) {
                        err.append("cat: ").append(path).append(": No such file or directory\n");
                        return 1;
                    }
                    out.append(new String(data, StandardCharsets.UTF_8));
                }
                return 0;
            case "ls":
                String dir = args.isEmpty() ? "/" : args.getLast();
                String prefix = dir.endsWith("/") ? dir : dir + "/";
                Set<String> names = new java.util.TreeSet<>();
                b.files.keySet().stream().filter(p -> p.startsWith(prefix))
                        .forEach(p -> names.add(p.substring(prefix.length()).split("/")[0]));
                if (names.isEmpty() && !b.files.containsKey(dir)) {
                    err.append("ls: cannot access '").append(dir).append("': No such file or directory\n");
                    return 2;
                }
                names.forEach(n -> out.append(n).append('\n'));
                return 0;
            case "touch":
                args.forEach(p -> b.files.putIfAbsent(p, new byte[0]));
                return 0;
            case "mkdir":
                return 0; // directories are implied by the files under them
            case "rm":
                for (String p : args) {
                    if (!p.startsWith("-") && b.files.remove(p) == null) {
                        err.append("rm: cannot remove '").append(p).append("': No such file or directory\n");
                        return 1;
                    }
                }
                return 0;
            case "write":
                if (args.size() != 2) {
                    err.append("usage: write PATH TEXT\n");
                    return 2;
                }
                b.files.put(args.get(0), args.get(1).getBytes(StandardCharsets.UTF_8));
                return 0;
            case "counter":
                long n = b.memory.merge("counter", 1L, Long::sum);
                out.append(n).append('\n');
                return 0;
            case "listen":
                args.forEach(p -> b.listening.add(Integer.parseInt(p)));
                return 0;
            case "apt-get":
                if (args.isEmpty() || !args.getFirst().equals("install")) {
                    err.append("E: only 'apt-get install' is built in\n");
                    return 100;
                }
                StringBuilder status = new StringBuilder(new String(b.files.getOrDefault("/var/lib/dpkg/status", new byte[0]), StandardCharsets.UTF_8));
                args.stream().skip(1).filter(a -> !a.startsWith("-")).forEach(p -> status.append("Package: ").append(p).append("\nStatus: install ok installed\n\n"));
                b.files.put("/var/lib/dpkg/status", status.toString().getBytes(StandardCharsets.UTF_8));
                return 0;
            default:
                err.append(program).append(": command not found\n");
                return 127;
        }
    }

    private int sleep(String sprite, List<String> args, Duration timeout, StringBuilder err) {
        Duration wanted;
        try {
            wanted = Duration.ofMillis((long) (Double.parseDouble(args.getFirst()) * 1000));
        } catch (RuntimeException e) {
            err.append("sleep: invalid time interval\n");
            return 1;
        }
        try {
            Thread.sleep(wanted.compareTo(timeout) > 0 ? timeout : wanted);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationInterruptedException(sprite, "exec sleep", e);
        }
        if (wanted.compareTo(timeout) > 0) {
            throw new OperationTimeoutException(sprite, "exec sleep", timeout);
        }
        return 0;
    }

    @Override
    public synchronized void writeFile(String sprite, String path, InputStream content) {
        enter(sprite, "writeFile", Capability.FILES);
        requireState(sprite, "write a file in", SpriteState.RUNNING);
        try {
            box(sprite).files.put(path, content.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void readFile(String sprite, String path, OutputStream sink) {
        enter(sprite, "readFile", Capability.FILES);
        requireState(sprite, "read a file from", SpriteState.RUNNING);
        byte[] data = box(sprite).files.get(path);
        if (data == null) {
            throw new BackendException(NAME, sprite, 404, "there is no file " + path + " in sprite '" + sprite + "'.", "Check the path.", null);
        }
        try {
            sink.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void pause(String sprite) {
        enter(sprite, "pause", Capability.PAUSE);
        move(sprite, "pause", SpriteState.RUNNING, SpriteState.PAUSED);
    }

    @Override
    public synchronized void unpause(String sprite) {
        enter(sprite, "unpause", Capability.PAUSE);
        move(sprite, "unpause", SpriteState.PAUSED, SpriteState.RUNNING);
    }

    @Override
    public synchronized void hibernate(String sprite) {
        enter(sprite, "hibernate", Capability.HIBERNATE);
        Box b = move(sprite, "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATED);
        b.disk = b.memory;
        b.memory = new TreeMap<>();
    }

    @Override
    public synchronized void wake(String sprite) {
        enter(sprite, "wake", Capability.HIBERNATE);
        Box b = move(sprite, "wake", SpriteState.HIBERNATED, SpriteState.RUNNING);
        b.memory = b.disk;
        b.disk = null;
    }

    @Override
    public synchronized boolean isReady(String sprite, Readiness check) {
        Box b = box(sprite);
        if (b.state != SpriteState.RUNNING) {
            return false;
        }
        return switch (check) {
            case Readiness.None none -> true;
            case Readiness.Port p -> b.spec.ports().contains(p.port()) || b.listening.contains(p.port());
            case Readiness.Http h -> b.spec.ports().contains(h.port()) || b.listening.contains(h.port());
            case Readiness.Command c -> builtin(b, ExecRequest.of(c.argv()), c.argv().subList(1, c.argv().size()), new byte[0],
                    new StringBuilder(), new StringBuilder()) == 0;
            case Readiness.All a -> a.checks().stream().allMatch(x -> isReady(sprite, x));
        };
    }

    @Override
    public synchronized Snapshot snapshot(String sprite, SnapshotId id, String label) {
        enter(sprite, "snapshot", Capability.SNAPSHOT);
        requireState(sprite, "snapshot", SpriteState.RUNNING);
        byte[] blob = serialize(box(sprite));
        blobs.put(id, blob);
        return new Snapshot(id, sprite, label, clock.instant(), blob.length, sha256(blob),
                EnumSet.of(Snapshot.Content.MEMORY, Snapshot.Content.FILESYSTEM, Snapshot.Content.VOLUMES));
    }

    @Override
    public synchronized void restore(String sprite, Snapshot snapshot) {
        enter(sprite, "restore", Capability.SNAPSHOT);
        Box b = box(sprite);
        if (b.state != SpriteState.RUNNING && b.state != SpriteState.PAUSED && b.state != SpriteState.HIBERNATED) {
            throw new IllegalSpriteStateException(sprite, b.state, "restore", "Wait for the current operation to finish.");
        }
        Box from = verified(snapshot);
        b.files = from.files;
        b.memory = from.memory;
        b.disk = null;
        b.listening = new HashSet<>();
        setState(b, SpriteState.RUNNING);
    }

    @Override
    public synchronized SpriteInfo fork(Snapshot snapshot, SpriteSpec spec) {
        enter(spec.name(), "fork", Capability.FORK);
        if (sprites.containsKey(spec.name())) {
            throw new SpriteAlreadyExistsException(spec.name());
        }
        Box from = verified(snapshot);
        Box b = new Box(spec, clock.instant());
        b.files = from.files;
        b.memory = from.memory;
        sprites.put(spec.name(), b);
        return info(spec.name(), b);
    }

    @Override
    public synchronized void deleteSnapshot(Snapshot snapshot) {
        count(snapshot.sprite(), "deleteSnapshot");
        blobs.remove(snapshot.id());
    }

    @Override
    public synchronized Endpoint endpoint(String sprite, int port) {
        enter(sprite, "endpoint", Capability.EXPOSE);
        box(sprite);
        // Not routable on purpose: nothing listens in an in-memory sprite.
        return new Endpoint(sprite + ".in-memory.invalid", port);
    }

    @Override
    public synchronized void delete(String sprite, DeletePolicy policy) {
        enter(sprite, "delete", null);
        Box b = box(sprite);
        sprites.remove(sprite);
        if (policy == DeletePolicy.PURGE) {
            keptVolumes.remove(sprite);
        } else {
            TreeMap<String, byte[]> kept = new TreeMap<>();
            b.files.forEach((path, data) -> {
                if (VOLUMES.stream().anyMatch(path::startsWith)) {
                    kept.put(path, data);
                }
            });
            keptVolumes.put(sprite, kept);
        }
    }

    /** Nothing to release: sprites live as long as this object. */
    @Override
    public void close() {}

    @Override
    public String toString() {
        return "InMemorySpriteRuntime[" + sprites.size() + " sprites]";
    }

    // ---- machinery ----

    /** Counts the call, applies an injected failure, checks the capability and that the sprite exists (when {@code sprite} must). */
    private void enter(String sprite, String operation, Capability capability) {
        count(sprite, operation);
        if (capability != null && !capabilities.contains(capability)) {
            throw new UnsupportedCapabilityException(capability, NAME, unsupportedReason(capability));
        }
        PuckException injected = failures.remove(operation);
        if (injected != null) {
            throw injected;
        }
        if (!operation.equals("create") && !operation.equals("fork")) {
            box(sprite);
        }
    }

    private void count(String sprite, String operation) {
        calls.merge(sprite + "/" + operation, 1, Integer::sum);
    }

    private Box box(String sprite) {
        Box b = sprites.get(sprite);
        if (b == null) {
            throw new SpriteNotFoundException(sprite);
        }
        return b;
    }

    private void requireState(String sprite, String operation, SpriteState required) {
        Box b = box(sprite);
        if (b.state != required) {
            throw new IllegalSpriteStateException(sprite, b.state, operation, "The sprite must be " + required + "; the engine wakes it first.");
        }
    }

    private Box move(String sprite, String operation, SpriteState from, SpriteState to) {
        requireState(sprite, operation, from);
        Box b = box(sprite);
        setState(b, to);
        return b;
    }

    private void setState(Box b, SpriteState to) {
        b.state = to;
        b.stateSince = clock.instant();
    }

    private SpriteInfo info(String name, Box b) {
        long memory = b.state == SpriteState.HIBERNATED ? 0 : BASE_MEMORY + 16L * b.memory.size();
        return new SpriteInfo(name, b.state, b.spec, NAME, b.createdAt, b.stateSince,
                Map.of("memory.bytes", Long.toString(memory), "files", Integer.toString(b.files.size())));
    }

    private Box verified(Snapshot snapshot) {
        byte[] blob = blobs.get(snapshot.id());
        if (blob == null) {
            throw new SnapshotCorruptedException(snapshot.sprite(), snapshot.id().value(), "its data is missing.");
        }
        String actual = sha256(blob);
        if (!actual.equals(snapshot.sha256())) {
            throw new SnapshotCorruptedException(snapshot.sprite(), snapshot.id().value(),
                    "expected SHA-256 " + snapshot.sha256() + " but found " + actual + ".");
        }
        return deserialize(blob);
    }

    private static byte[] serialize(Box b) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(b.memory.size());
            for (var e : b.memory.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeLong(e.getValue());
            }
            out.writeInt(b.files.size());
            for (var e : b.files.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().length);
                out.write(e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static Box deserialize(byte[] blob) {
        Box b = new Box(null, Instant.EPOCH);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(blob))) {
            for (int i = in.readInt(); i > 0; i--) {
                b.memory.put(in.readUTF(), in.readLong());
            }
            for (int i = in.readInt(); i > 0; i--) {
                String path = in.readUTF();
                b.files.put(path, in.readNBytes(in.readInt()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b;
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
