package labs.sandwich.puck.podman;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What this host's CRIU says of itself, read once by the probe: where it is, its version,
 * {@code criu check} (can it dump here at all) and {@code criu check --feature mem_dirty_track}
 * (soft-dirty tracking, which incremental checkpoints need). Podman's {@code /info} says nothing
 * of CRIU, and the service is local (a unix socket), so the probe asks CRIU itself. Each
 * command takes under 0.1 s.
 *
 * @param path          the CRIU binary, or empty when none is installed
 * @param version       {@code criu --version}'s version, e.g. {@code 4.2.1}; empty if unknown
 * @param checked       whether {@code criu check} could run (it needs root)
 * @param checkExit     its exit code
 * @param checkOutput   what it printed (stdout and stderr)
 * @param dirtyTracking whether the kernel tracks dirty memory (soft-dirty)
 */
record CriuReport(Optional<Path> path, String version, boolean checked, int checkExit, String checkOutput, boolean dirtyTracking) {
    private static final List<String> PLACES = List.of("/usr/sbin/criu", "/usr/bin/criu", "/usr/local/sbin/criu", "/usr/local/bin/criu");

    /** No CRIU on this host. */
    static final CriuReport NONE = new CriuReport(Optional.empty(), "", false, -1, "", false);

    /** @return this host's CRIU, asked by argv (never a shell) */
    static CriuReport read() {
        Optional<Path> criu = PLACES.stream().map(Path::of).filter(Files::isExecutable).findFirst();
        if (criu.isEmpty()) {
            return NONE;
        }
        String bin = criu.get().toString();
        String version = run(bin, "--version").output().lines().filter(l -> l.startsWith("Version:")).map(l -> l.substring(8).strip()).findFirst().orElse("");
        if (!isRoot()) {
            return new CriuReport(criu, version, false, -1, "", false);
        }
        Result check = run(bin, "check");
        Result dirty = run(bin, "check", "--feature", "mem_dirty_track");
        return new CriuReport(criu, version, true, check.exit(), check.output(), dirty.exit() == 0);
    }

    /** @return what identifies this host's CRIU: its path, size and modification time; a new CRIU gets a new identity */
    static String identity() {
        for (String place : PLACES) {
            Path p = Path.of(place);
            if (Files.isExecutable(p)) {
                try {
                    return place + "@" + Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis() + "@root=" + isRoot();
                } catch (IOException e) {
                    return place + "@?";
                }
            }
        }
        return "none@root=" + isRoot();
    }

    com.fasterxml.jackson.databind.node.ObjectNode toJson(com.fasterxml.jackson.databind.ObjectMapper json) {
        return json.createObjectNode().put("path", path.map(Path::toString).orElse("")).put("version", version).put("checked", checked)
                .put("checkExit", checkExit).put("checkOutput", checkOutput).put("dirtyTracking", dirtyTracking);
    }

    static CriuReport fromJson(com.fasterxml.jackson.databind.JsonNode n) {
        if (!n.isObject()) {
            throw new IllegalArgumentException("no CRIU report");
        }
        String path = n.path("path").asText();
        return new CriuReport(path.isEmpty() ? Optional.empty() : Optional.of(Path.of(path)), n.path("version").asText(), n.path("checked").asBoolean(),
                n.path("checkExit").asInt(), n.path("checkOutput").asText(), n.path("dirtyTracking").asBoolean());
    }

    private record Result(int exit, String output) {}

    private static Result run(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    private static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                    .map(l -> l.substring(4).strip().split("\\s+")[1]).anyMatch("0"::equals);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** @return the lines of {@code criu check} that say what is wrong (errors first), at most three */
    String complaint() {
        List<String> errors = new ArrayList<>();
        checkOutput.lines().filter(l -> l.startsWith("Error") || l.contains("rror (")).forEach(errors::add);
        if (errors.isEmpty()) {
            checkOutput.lines().filter(l -> !l.isBlank() && !l.contains("kdat")).forEach(errors::add);
        }
        return String.join("; ", errors.subList(0, Math.min(3, errors.size()))).strip();
    }
}
