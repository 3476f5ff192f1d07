package labs.sandwich.puck.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI as a user runs it: the shaded jar in a real process, against real Podman, its JSON
 * parsed, its exit codes checked, the console on a real PTY (script(1)), puckd as a real
 * background process.
 */
class CliIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JAR = System.getProperty("puck.jar", "target/puck.jar");

    @TempDir
    Path tmp;
    final String name = "cli-" + Long.toHexString(System.nanoTime() & 0xffffff);
    final List<String> made = new ArrayList<>();

    record Result(int exit, String out, String err) {
        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }
    }

    private Result puck(String... args) throws Exception {
        return puck(Map.of(), null, args);
    }

    private Result puck(Map<String, String> env, String stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED", "-jar", JAR));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(defaults());
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = read(p.getInputStream());
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("puck %s finished", List.of(args)).isTrue();
        return new Result(p.exitValue(), out, err.get());
    }

    private Map<String, String> defaults() {
        Map<String, String> env = new HashMap<>();
        env.put("PUCK_STORE", tmp.resolve("puck.db").toString());
        env.put("PUCK_DAEMON", "off");
        return env;
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        puck("daemon", "stop");
        for (String n : made) {
            puck("delete", "--purge", "--force", n);
        }
        // A store whose sprites were exposed starts its Caddy again when opened (to withdraw routes): stop it last.
        String caddy = "caddy run --config " + tmp.resolve("data").resolve("caddy");
        ProcessHandle.allProcesses().filter(h -> h.info().commandLine().map(c -> c.contains(caddy)).orElse(false)).forEach(h -> {
            h.destroy();
            h.onExit().join();
        });
    }

    private String create(String sprite, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("create", sprite, "--json"));
        args.addAll(List.of(options));
        made.add(sprite);
        Result r = puck(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.json().path("sprite").path("state").asText()).isEqualTo("RUNNING");
        return sprite;
    }

    @Test
    void wrongArgumentsAndMissingThingsAreOneClearLineWithTheDocumentedExitCode() throws Exception {
        Result unknown = puck("frob");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("puck: Unmatched argument").contains("Try `puck --help`").doesNotContain("\tat ");
        assertThat(unknown.err().lines()).hasSize(1);

        Result missingArg = puck("exec");
        assertThat(missingArg.exit()).isEqualTo(2);
        assertThat(missingArg.err()).contains("Missing required parameter").contains("puck exec --help");

        Result badName = puck("create", "Bad_Name");
        assertThat(badName.exit()).isEqualTo(2);
        assertThat(badName.err()).isEqualTo("puck: Invalid sprite name 'Bad_Name': it contains upper-case letters. Fix: Use 1 to 63 lower-case letters, digits or '-', "
                + "starting and ending with a letter or digit (an RFC 1123 label), e.g. \"media-bot\". [PUCK-SPEC-001]\n");

        Result notFound = puck("exec", "no-such-sprite", "--", "true");
        assertThat(notFound.exit()).isEqualTo(3);
        assertThat(notFound.err()).startsWith("puck: There is no sprite named 'no-such-sprite'.").contains("[PUCK-SPRITE-001]").doesNotContain("\tat ");
        assertThat(puck("why", "no-such-sprite").exit()).isEqualTo(3);

        Result badPackage = puck("demo", "--package", "jq; rm -rf /");
        assertThat(badPackage.exit()).as("never reaches a shell").isEqualTo(2);
        assertThat(badPackage.err()).contains("is not a Debian package name");

        Result badDuration = puck("create", name, "--idle-timeout", "soon");
        assertThat(badDuration.exit()).isEqualTo(2);
        assertThat(badDuration.err()).contains("'soon' is not a duration").contains("30s, 15m");

        Result deadPodman = puck(Map.of("PUCK_PODMAN_SOCKET", tmp.resolve("gone.sock").toString()), null, "list");
        assertThat(deadPodman.exit()).isEqualTo(5);
        assertThat(deadPodman.err()).startsWith("puck: No sprite runtime is available.").contains("gone.sock", "Fix:").doesNotContain("\tat ");

        Result debug = puck("exec", "no-such-sprite", "--debug", "--", "true");
        assertThat(debug.err()).as("--debug adds the stack trace").contains("\tat labs.sandwich.puck.");

        Result version = puck("version", "--json");
        assertThat(version.exit()).isZero();
        assertThat(version.json().path("version").asText()).startsWith("puck ").contains("(SPI 1)");
        assertThat(puck("--help").out()).contains("Exit codes: 0 ok", "create", "console", "daemon", "demo");
        assertThat(puck("completion").out()).contains("complete -F");
    }

    @Test
    void theWholeStoryWithJsonAndExitCodes() throws Exception {
        create(name, "--idle-timeout", "0", "-e", "GREETING=hello");
        List<JsonNode> list = mine(puck("list", "--json").json());
        assertThat(list).singleElement().satisfies(s -> {
            assertThat(s.path("name").asText()).isEqualTo(name);
            assertThat(s.path("state").asText()).isEqualTo("RUNNING");
            assertThat(s.path("sleep").path("hibernateAfter").asText()).isEqualTo("PT0S");
            assertThat(s.path("attributes").path("memory.bytes").asLong()).as("memory from the runtime").isPositive();
        });
        assertThat(puck("list").out()).startsWith("NAME").contains(name, "RUNNING");

        Result echo = puck("exec", name, "--", "sh", "-c", "echo $GREETING; echo oops >&2");
        assertThat(echo.exit()).isZero();
        assertThat(echo.out()).isEqualTo("hello\n");
        assertThat(echo.err()).isEqualTo("oops\n");
        assertThat(puck("exec", name, "--", "sh", "-c", "exit 7").exit()).as("exec exits with the command's code").isEqualTo(7);
        assertThat(puck(Map.of(), "piped in", "exec", "-i", name, "--", "cat").out()).isEqualTo("piped in");
        JsonNode execJson = puck("exec", name, "--json", "--", "echo", "x").json();
        assertThat(execJson.path("exitCode").asInt()).isZero();
        assertThat(execJson.path("stdout").asText()).isEqualTo("x\n");

        Path local = Files.writeString(tmp.resolve("notes.txt"), "kept across sleep");
        assertThat(puck("cp", local.toString(), name + ":/root/notes.txt").exit()).isZero();
        assertThat(puck("cp", "notes.txt", "other.txt").exit()).as("neither side in a sprite").isEqualTo(2);

        JsonNode hib = puck("hibernate", name, "--json").json();
        assertThat(hib.path("state").asText()).isEqualTo("HIBERNATED");
        JsonNode why = puck("why", name, "--json").json();
        assertThat(why.path("state").asText()).isEqualTo("HIBERNATED");
        assertThat(why.path("cause").asText()).startsWith("hibernate requested");
        assertThat(puck("cp", name + ":/root/notes.txt", tmp.resolve("back.txt").toString()).exit()).as("copying out wakes it").isZero();
        assertThat(Files.readString(tmp.resolve("back.txt"))).isEqualTo("kept across sleep");

        JsonNode snap = puck("snapshot", "create", name, "--label", "s1", "--json").json().path("snapshot");
        assertThat(snap.path("label").asText()).isEqualTo("s1");
        assertThat(snap.path("sha256").asText()).hasSize(64);
        assertThat(puck("snapshot", "list", name, "--json").json()).hasSize(1);
        puck("exec", name, "--", "rm", "/root/notes.txt");
        assertThat(puck("snapshot", "restore", name, "s1").exit()).isZero();
        assertThat(puck("exec", name, "--", "cat", "/root/notes.txt").out()).as("restored").isEqualTo("kept across sleep");
        assertThat(puck("snapshot", "restore", name, "no-such-label").exit()).isEqualTo(3);

        String fork = name + "-fork";
        made.add(fork);
        Result forked = puck("fork", name, "s1", fork, "--json");
        assertThat(forked.exit()).as(forked.err()).isZero();
        assertThat(puck("exec", fork, "--", "cat", "/root/notes.txt").out()).isEqualTo("kept across sleep");
        assertThat(puck("fork", name, "s1", fork).exit()).as("the name is taken").isEqualTo(4);

        JsonNode logs = puck("logs", name, "--json").json();
        List<String> operations = new ArrayList<>();
        logs.forEach(c -> operations.add(c.path("operation").asText()));
        assertThat(operations).containsSubsequence("create", "hibernate", "wake", "snapshot", "restore");
        assertThat(puck("events", "-n", "100").out()).contains(name + " hibernate RUNNING -> HIBERNATED (requested)", fork + " fork CREATING -> RUNNING");

        assertThat(puck("snapshot", "delete", name, "s1").exit()).isZero();
        assertThat(puck("snapshot", "list", name, "--json").json()).isEmpty();

        Result refused = puck("delete", name);
        assertThat(refused.exit()).as("not a terminal, no --force").isEqualTo(2);
        assertThat(refused.err()).contains("Add --force in scripts");
        assertThat(puck("delete", name, "--purge", "--force").exit()).isZero();
        assertThat(puck("delete", fork, "--purge", "--force").exit()).isZero();
        made.clear();
        assertThat(mine(puck("list", "--json").json())).isEmpty();
    }

    /** Sprites the runtime holds without a store's label (another test's, made through the SPI) are listed too: only ours count. */
    private List<JsonNode> mine(JsonNode list) {
        List<JsonNode> out = new ArrayList<>();
        list.forEach(s -> {
            if (s.path("name").asText().startsWith(name)) {
                out.add(s);
            }
        });
        return out;
    }

    @Test
    void exposeGivesAUrlAndPuckdWakesTheSpriteOnItsFirstRequest() throws Exception {
        Map<String, String> ports = Map.of("PUCK_CADDY_HTTP_PORT", Integer.toString(freePort()), "PUCK_CADDY_HTTPS_PORT", Integer.toString(freePort()));
        Map<String, String> env = new HashMap<>(ports);
        try {
            create(name, "--idle-timeout", "0", "-p", "8080");
            assertThat(puck("exec", name, "--", "sh", "-c", "nohup python3 -m http.server 8080 >/dev/null 2>&1 & sleep 1").exit()).isZero();
            env.put("PUCK_DAEMON", "on"); // expose starts puckd, which serves the activator
            Result exposed = puck(env, null, "expose", name, "8080", "--json");
            assertThat(exposed.exit()).as(exposed.err()).isZero();
            String url = exposed.json().path("url").asText();
            assertThat(url).isEqualTo("http://" + name + ".localhost:" + ports.get("PUCK_CADDY_HTTP_PORT") + "/");
            assertThat(get(Integer.parseInt(ports.get("PUCK_CADDY_HTTP_PORT")), name + ".localhost")).startsWith("HTTP/1.1 200");
            assertThat(puck(env, null, "hibernate", name).exit()).isZero();
            assertThat(get(Integer.parseInt(ports.get("PUCK_CADDY_HTTP_PORT")), name + ".localhost")).as("woken by puckd's activator").startsWith("HTTP/1.1 200");
            assertThat(puck("why", name, "--json").json().path("state").asText()).isEqualTo("RUNNING");
            assertThat(mine(puck(env, null, "list", "--json").json())).singleElement().satisfies(s -> assertThat(s.path("url").asText()).isEqualTo(url));
            assertThat(exposed.json().path("audience").asText()).isEqualTo("only this machine");

            env.put("PUCK_TAILSCALE_SOCKET", "/nonexistent/tailscaled.sock");
            Result tailnet = puck(env, null, "expose", name, "8080", "--tailnet");
            assertThat(tailnet.exit()).as(tailnet.err()).isEqualTo(5);
            assertThat(tailnet.err()).contains("tailscaled is not running here").contains("sudo tailscale up").contains("PUCK-INGRESS-001");
            Result publicly = puck(env, null, "expose", name, "8080", "--public");
            assertThat(publicly.err()).as("warned before trying").contains("warning:").contains("anyone on the internet");
            assertThat(puck(env, null, "expose", name, "8080", "--tailnet", "--public").exit()).isEqualTo(2);
            assertThat(get(Integer.parseInt(ports.get("PUCK_CADDY_HTTP_PORT")), name + ".localhost")).as("a refused --tailnet left the local URL").startsWith("HTTP/1.1 200");
        } finally {
            puck("daemon", "stop");
        }
    }

    /** Drives `puck console` of the hibernated sprite on a real PTY (script(1)): it wakes it, the shell is a terminal, sizes pass, its exit status comes back. */
    private void consoleOnAPty(Map<String, String> env) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder("script", "-qfec", java + " --enable-native-access=ALL-UNNAMED -jar " + JAR + " console " + name, "/dev/null");
        pb.environment().putAll(defaults());
        pb.environment().putAll(env);
        Process p = pb.redirectErrorStream(true).start();
        Thread.sleep(3000); // the shell reads its input once it runs, not before
        p.getOutputStream().write("tty; echo pty-$((40+2)); stty cols 100 rows 30; stty size; exit 3\n".getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().flush();
        String out = read(p.getInputStream());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("waking " + name + " (hibernated)", "/dev/pts/", "pty-42", "30 100");
        assertThat(p.exitValue()).as("the shell's exit status: %s", out).isEqualTo(3);
    }

    @Test
    void exposeTcpGivesAHostPortThatPuckdServesAndThatWakesTheSprite() throws Exception {
        try {
            create(name, "--idle-timeout", "0", "-p", "8080");
            assertThat(puck("exec", name, "--", "sh", "-c", "nohup python3 -m http.server 8080 >/dev/null 2>&1 & sleep 1").exit()).isZero();
            Map<String, String> env = Map.of("PUCK_DAEMON", "on"); // expose --tcp starts puckd, which listens once this process exits
            Result exposed = puck(env, null, "expose", name, "8080", "--tcp", "--json");
            assertThat(exposed.exit()).as(exposed.err()).isZero();
            URI url = URI.create(exposed.json().path("url").asText());
            assertThat(url.getScheme() + "://" + url.getHost()).isEqualTo("tcp://127.0.0.1");
            assertThat(exposed.json().path("audience").asText()).isEqualTo("only this machine");
            assertThat(puck(env, null, "hibernate", name).exit()).isZero();
            String answer = "";
            for (int i = 0; i < 100 && answer.isEmpty(); i++) { // puckd takes the port over within half a second of starting
                try {
                    answer = rawGet(url.getPort());
                } catch (java.net.ConnectException notYet) {
                    Thread.sleep(100);
                }
            }
            assertThat(answer).as("woken by puckd's listener").startsWith("HTTP/1.0 200");
            assertThat(puck("why", name, "--json").json().path("state").asText()).isEqualTo("RUNNING");

            try (java.net.ServerSocket held = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                Result taken = puck("expose", name, "8080", "--tcp", "--host-port", Integer.toString(held.getLocalPort()));
                assertThat(taken.exit()).isEqualTo(4);
                assertThat(taken.err()).startsWith("puck: Host port 127.0.0.1:" + held.getLocalPort() + " is already in use").contains("[PUCK-NET-001]");
            }
            assertThat(puck("expose", "no-such-sprite", "22", "--tcp").exit()).isEqualTo(3);
            assertThat(puck("expose", name, "8080", "--host-port", "2222").exit()).as("--host-port is for --tcp").isEqualTo(2);
            assertThat(puck("expose", name, "8080", "--tcp", "--tailnet").exit()).as("raw TCP is on this machine's addresses").isEqualTo(2);
            assertThat(puck(env, null, "expose", name, "8080", "--tcp", "--withdraw").exit()).isZero();
        } finally {
            puck("daemon", "stop");
        }
    }

    private static String rawGet(int port) throws IOException {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static String get(int port, String host) throws IOException {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void eventsFollowTheChangesOtherProcessesMake() throws Exception {
        create(name, "--idle-timeout", "0");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED", "-jar", JAR,
                "events", "--follow", "--sprite", name, "-n", "0"));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(defaults());
        Process follower = pb.start();
        try {
            var lines = new java.io.BufferedReader(new java.io.InputStreamReader(follower.getInputStream(), StandardCharsets.UTF_8));
            Thread.sleep(1500); // it has read the journal's end
            assertThat(puck("hibernate", name).exit()).isZero();
            assertThat(puck("wake", name).exit()).isZero();
            CompletableFuture<List<String>> seen = CompletableFuture.supplyAsync(() -> {
                List<String> got = new ArrayList<>();
                try {
                    for (String l; got.size() < 2 && (l = lines.readLine()) != null; ) {
                        got.add(l);
                    }
                } catch (IOException e) {
                    // the follower was stopped
                }
                return got;
            });
            assertThat(seen.get(30, TimeUnit.SECONDS)).satisfiesExactly(
                    l -> assertThat(l).contains(name + " hibernate RUNNING -> HIBERNATED (requested)"),
                    l -> assertThat(l).contains(name + " wake HIBERNATED -> RUNNING (requested)"));
        } finally {
            follower.destroy();
            follower.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theConsoleIsARealTerminalAndWakesTheSpriteFirst() throws Exception {
        create(name);
        assertThat(puck("hibernate", name).exit()).isZero();
        consoleOnAPty(Map.of());
        assertThat(puck("why", name, "--json").json().path("state").asText()).isEqualTo("RUNNING");
    }

    @Test
    void puckdRunsSpriteCommandsForTheClientWithItsStreamsTerminalAndExitCodes() throws Exception {
        Map<String, String> on = Map.of("PUCK_DAEMON", "on");
        assertThat(puck(on, null, "daemon", "start").exit()).isZero(); // with PUCK_DAEMON=on, as users have it
        Path socket = tmp.resolve("puck.db.puckd.sock");
        assertThat(Files.getPosixFilePermissions(socket)).containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        long pid = Long.parseLong(Files.readAllLines(tmp.resolve("puck.db.puckd.pid")).getFirst().strip());
        made.add(name);
        assertThat(puck(on, null, "create", name).exit()).isZero();
        assertThat(puck(on, null, "daemon", "start").out()).as("a create run by puckd keeps its lock").contains("already runs (pid " + pid + ")");

        Result cat = puck(on, "from the client's stdin", "exec", "-i", name, "--", "cat");
        assertThat(cat.out()).isEqualTo("from the client's stdin");
        Result failed = puck(on, null, "exec", name, "--", "sh", "-c", "echo to-stderr >&2; exit 5");
        assertThat(failed.exit()).isEqualTo(5);
        assertThat(failed.err()).isEqualTo("to-stderr\n");
        Result missing = puck(on, null, "inspect", "nope");
        assertThat(missing.exit()).isEqualTo(3);
        assertThat(missing.err().lines()).singleElement().satisfies(l -> assertThat(l).contains("There is no sprite named 'nope'"));
        Result usage = puck(on, null, "exec", "--no-such-option", name);
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(mine(puck(on, null, "list", "--json").json())).singleElement().satisfies(s -> assertThat(s.path("state").asText()).isEqualTo("RUNNING"));

        assertThat(puck(on, null, "hibernate", name).exit()).isZero();
        consoleOnAPty(on);

        String log = Files.readString(tmp.resolve("puck.db.puckd.log"));
        assertThat(log).as("puckd ran them").contains("served `puck create` (exit 0)", "served `puck exec` (exit 5)", "served `puck inspect` (exit 3)",
                "served `puck console` (exit 3)");
        assertThat(puck(on, null, "daemon", "stop").exit()).isZero();
        assertThat(socket).doesNotExist();
        Files.writeString(socket, "left by a puckd that was killed");
        assertThat(puck(on, null, "why", name).exit()).as("with nobody on the socket, the command runs in the client").isZero();
    }

    @Test
    void theShellIsJshellWithPuckOpenAtTheFirstPrompt() throws Exception {
        made.add(name);
        Result r = puck(Map.of(), "var s = puck.create(\"" + name + "\")\ns.exec(\"echo\", \"from-\" + \"jshell\").stdout()\ns.hibernate()\ns\n/exit\n", "shell");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("puck ==> Puck[runtime=podman", "s ==> Sprite[" + name + " RUNNING on podman]", "\"from-jshell\\n\"",
                "s ==> Sprite[" + name + " HIBERNATED on podman]");
        assertThat(r.err()).doesNotContain("Exception");
        assertThat(puck("shell", "--print-startup").out()).contains("var puck = Puck.open();");
    }

    @Test
    void puckdPutsIdleSpritesToSleepAndRestartsWithoutTouchingThem() throws Exception {
        Result status = puck("daemon", "status");
        assertThat(status.exit()).as("not running yet").isEqualTo(1);
        assertThat(status.out()).contains("puckd is not running", "Fix: puck daemon start");
        Result started = puck("daemon", "start", "--json");
        assertThat(started.exit()).as(started.err()).isZero();
        long pid = started.json().path("pid").asLong();
        assertThat(ProcessHandle.of(pid)).get().satisfies(h -> assertThat(h.isAlive()).isTrue());
        assertThat(puck("daemon", "start").out()).contains("already runs (pid " + pid + ")");
        assertThat(puck("daemon", "run").exit()).as("a second puckd for the store").isEqualTo(4);

        create(name, "--idle-timeout", "0", "--pause-after", "1s");
        JsonNode why = awaitState("PAUSED", Duration.ofSeconds(20));
        assertThat(why.path("cause").asText()).contains("idle monitor", "sleep.pauseAfter = PT1S");
        String container = puck("inspect", name, "--json").json().path("attributes").path("container.id").asText();

        assertThat(puck("daemon", "stop").exit()).isZero();
        assertThat(ProcessHandle.of(pid).map(h -> h.isAlive() && !DaemonCommand.zombie(pid)).orElse(false)).as("ended (perhaps not yet reaped by init)").isFalse();
        assertThat(puck("daemon", "status").exit()).isEqualTo(1);
        assertThat(puck("daemon", "start").exit()).isZero();
        Thread.sleep(2000);
        JsonNode after = puck("why", name, "--json").json();
        assertThat(after.path("state").asText()).as("a restart touches no sprite").isEqualTo("PAUSED");
        assertThat(puck("inspect", name, "--json").json().path("attributes").path("container.id").asText()).isEqualTo(container);
        assertThat(puck("doctor").out()).contains("ok    daemon    puckd runs");

        assertThat(puck("daemon", "install", "--print").out()).contains("ExecStart=", "daemon run --store " + tmp.resolve("puck.db"));
        if (!Files.isDirectory(Path.of("/run/systemd/system"))) {
            Result install = puck("daemon", "install");
            assertThat(install.exit()).isEqualTo(8);
            assertThat(install.err()).contains("systemd is not running on this machine", "puck daemon start");
        }
    }

    private JsonNode awaitState(String state, Duration patience) throws Exception {
        long end = System.nanoTime() + patience.toNanos();
        JsonNode why;
        do {
            why = puck("why", name, "--json").json();
            if (why.path("state").asText().equals(state)) {
                return why;
            }
            Thread.sleep(250);
        } while (System.nanoTime() < end);
        throw new AssertionError(name + " did not become " + state + " in " + patience + ": " + why);
    }

    @Test
    void theDemoTellsTheWholeStory() throws Exception {
        String demo = name + "-demo";
        made.add(demo + "-fork");
        made.add(demo);
        Result r = puck("demo", "--name", demo);
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("create", "install", "hibernate", "wake", "snapshot", "fork",
                "the process and its memory came back", "carried on from the snapshot", "deleted both sprites");
        assertThat(mine(puck("list", "--json").json())).as("nothing left").isEmpty();
        made.clear();
    }
}
