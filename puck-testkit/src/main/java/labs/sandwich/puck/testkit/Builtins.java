package labs.sandwich.puck.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import labs.sandwich.puck.api.ExecRequest;

/**
 * The commands an in-memory sprite can run, on an argument vector (never a shell string).
 * Except {@code sleep}, which the runtime runs outside its lock, each is instant and runs
 * under the runtime's lock. Output is written as a shell's would be, so tests read alike on
 * every runtime.
 */
final class Builtins {
    private static final String DEFAULT_WORKDIR = "/root";

    private final MemorySprite sprite;
    private final ExecRequest request;
    private final String name;
    private final List<String> args;
    private final String workdir;
    private final ByteArrayOutputStream out;
    private final ByteArrayOutputStream err;

    private Builtins(MemorySprite sprite, ExecRequest request, ByteArrayOutputStream out, ByteArrayOutputStream err) {
        this.sprite = sprite;
        this.request = request;
        this.name = program(request.argv());
        this.args = request.argv().subList(1, request.argv().size());
        this.workdir = request.workdir() == null ? DEFAULT_WORKDIR : request.workdir();
        this.out = out;
        this.err = err;
    }

    /**
     * @param argv a command
     * @return its program's name: {@code /usr/bin/env} runs {@code env}, as the sprite's {@code PATH} would find it
     */
    static String program(List<String> argv) {
        String p = argv.getFirst();
        return p.startsWith("/bin/") || p.startsWith("/usr/bin/") ? p.substring(p.lastIndexOf('/') + 1) : p;
    }

    /**
     * Runs one command (not {@code sleep}).
     *
     * @return its exit status
     */
    static int run(MemorySprite sprite, ExecRequest request, ByteArrayOutputStream out, ByteArrayOutputStream err) {
        return new Builtins(sprite, request, out, err).run();
    }

    private int run() {
        return switch (name) {
            case "true" -> 0;
            case "false" -> 1;
            case "echo" -> echo();
            case "pwd" -> print(workdir + "\n");
            case "whoami" -> print((request.user() == null ? "root" : request.user()) + "\n");
            case "env" -> env();
            case "cat" -> cat();
            case "ls" -> ls();
            case "mkdir" -> mkdir();
            case "touch" -> touch();
            case "rm" -> rm();
            case "test" -> test();
            case "write" -> write();
            case "counter" -> print(sprite.nextCounter() + "\n");
            case "listen" -> listen();
            case "apt-get" -> aptGet();
            default -> sprite.fs.isFile("/usr/bin/" + name)
                    ? print(name + ": installed by apt-get; the in-memory runtime runs nothing more\n")
                    : fail(127, "command not found");
        };
    }

    private int echo() {
        boolean newline = args.isEmpty() || !args.getFirst().equals("-n");
        return print(String.join(" ", newline ? args : args.subList(1, args.size())) + (newline ? "\n" : ""));
    }

    private int env() {
        Map<String, String> env = new TreeMap<>(sprite.spec.env());
        env.putAll(request.env());
        env.forEach((k, v) -> print(k + "=" + v + "\n"));
        return 0;
    }

    private int cat() {
        if (args.isEmpty()) {
            out.writeBytes(request.stdin());
            return 0;
        }
        int status = 0;
        for (String a : args) {
            try {
                out.writeBytes(sprite.fs.read(path(a)));
            } catch (FileSystemException e) {
                status = fail(1, e);
            }
        }
        return status;
    }

    private int ls() {
        List<String> paths = operands();
        int status = 0;
        for (String p : paths.isEmpty() ? List.of(workdir) : paths) {
            try {
                sprite.fs.list(path(p)).forEach(n -> print(n + "\n"));
            } catch (FileSystemException e) {
                status = fail(2, "cannot access " + e.getFile() + ": " + e.getReason());
            }
        }
        return status;
    }

    private int mkdir() {
        boolean parents = args.contains("-p");
        int status = 0;
        for (String p : operands()) {
            try {
                sprite.fs.mkdir(path(p), parents);
            } catch (FileSystemException e) {
                status = fail(1, "cannot create directory " + e.getFile() + ": " + e.getReason());
            }
        }
        return status;
    }

    private int touch() {
        int status = 0;
        for (String p : operands()) {
            String path = path(p);
            if (!sprite.fs.isFile(path) && !sprite.fs.isDirectory(path)) {
                try {
                    sprite.fs.write(path, new byte[0]);
                } catch (FileSystemException e) {
                    status = fail(1, "cannot touch " + e.getFile() + ": " + e.getReason());
                }
            }
        }
        return status;
    }

    private int rm() {
        boolean recursive = args.stream().anyMatch(a -> a.matches("-[a-zA-Z]*[rR][a-zA-Z]*"));
        boolean force = args.stream().anyMatch(a -> a.matches("-[a-zA-Z]*f[a-zA-Z]*"));
        int status = 0;
        for (String p : operands()) {
            try {
                sprite.fs.remove(path(p), recursive);
            } catch (NoSuchFileException e) {
                status = force ? status : fail(1, "cannot remove " + e.getFile() + ": " + e.getReason());
            } catch (FileSystemException e) {
                status = fail(1, "cannot remove " + e.getFile() + ": " + e.getReason());
            }
        }
        return status;
    }

    /** {@code test -e|-f|-d PATH}, the forms readiness commands use. */
    private int test() {
        if (args.size() != 2) {
            return fail(2, "only 'test -e|-f|-d PATH' is built in");
        }
        String path = path(args.get(1));
        return switch (args.getFirst()) {
            case "-e" -> sprite.fs.isFile(path) || sprite.fs.isDirectory(path) ? 0 : 1;
            case "-f" -> sprite.fs.isFile(path) ? 0 : 1;
            case "-d" -> sprite.fs.isDirectory(path) ? 0 : 1;
            default -> fail(2, "only 'test -e|-f|-d PATH' is built in");
        };
    }

    /** {@code write PATH TEXT}: as {@code printf %s TEXT > PATH}. */
    private int write() {
        if (args.size() != 2) {
            return fail(2, "usage: write PATH TEXT");
        }
        try {
            sprite.fs.write(path(args.get(0)), args.get(1).getBytes(StandardCharsets.UTF_8));
            return 0;
        } catch (FileSystemException e) {
            return fail(1, e);
        }
    }

    /** {@code listen PORT}: a process of the sprite now listens on the port (kept in memory). */
    private int listen() {
        int port;
        try {
            port = args.size() == 1 ? Integer.parseInt(args.getFirst()) : 0;
        } catch (NumberFormatException e) {
            port = 0;
        }
        if (port < 1 || port > 65535) {
            return fail(2, "usage: listen PORT (1 to 65535)");
        }
        sprite.listen(port);
        return 0;
    }

    /** {@code apt-get update} and {@code apt-get install [-y] PKG…}: packages are recorded on disk, and become commands. */
    private int aptGet() {
        List<String> operands = operands();
        String verb = operands.isEmpty() ? "" : operands.getFirst();
        if (verb.equals("update")) {
            return 0;
        }
        if (!verb.equals("install")) {
            return fail(100, "E: only 'apt-get update' and 'apt-get install' are built in");
        }
        try {
            StringBuilder status = new StringBuilder(new String(sprite.fs.read("/var/lib/dpkg/status"), StandardCharsets.UTF_8));
            for (String p : operands.subList(1, operands.size())) {
                status.append("Package: ").append(p).append("\nStatus: install ok installed\n\n");
                sprite.fs.writeCreatingParents("/usr/bin/" + p, new byte[0]);
                print("Setting up " + p + " ...\n");
            }
            sprite.fs.write("/var/lib/dpkg/status", status.toString().getBytes(StandardCharsets.UTF_8));
            return 0;
        } catch (FileSystemException e) {
            return fail(100, "E: " + e.getFile() + ": " + e.getReason());
        }
    }

    private List<String> operands() {
        return args.stream().filter(a -> !a.startsWith("-")).toList();
    }

    private String path(String p) {
        return MemoryFs.resolve(workdir, p);
    }

    private int print(String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        return 0;
    }

    private int fail(int status, FileSystemException e) {
        return fail(status, e.getFile() + ": " + e.getReason());
    }

    private int fail(int status, String message) {
        err.writeBytes((name + ": " + message + "\n").getBytes(StandardCharsets.UTF_8));
        return status;
    }
}
