package labs.sandwich.puck.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.Change;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.ExecResult;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.api.Names;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.Resources;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteInfo;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.Why;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The commands on one sprite. */
final class SpriteCommands {
    private SpriteCommands() {}

    @Command(name = "create", description = "Create a sprite and wait until it runs.")
    static final class Create extends Base {
        @Parameters(paramLabel = "NAME", description = "Lower-case letters, digits and '-', up to 63.")
        String name;

        @Option(names = "--image", paramLabel = "IMAGE", description = "Default: the Puck base image (Debian 12).")
        String image;

        @Option(names = "--pause-after", paramLabel = "TIME", description = "Idle time before pausing (RAM kept), e.g. 30s; 0 = never.")
        String pauseAfter;

        @Option(names = "--idle-timeout", paramLabel = "TIME", description = "Idle time before hibernating (RAM freed), e.g. 15m; 0 = never sleep.")
        String idleTimeout;

        @Option(names = "--archive-after", paramLabel = "TIME", description = "Idle time before archiving, e.g. 7d; default never.")
        String archiveAfter;

        @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "A port the sprite serves on (repeatable).")
        List<Integer> ports = new ArrayList<>();

        @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "An environment variable (repeatable).")
        Map<String, String> env = Map.of();

        @Option(names = "--memory", paramLabel = "SIZE", description = "Memory limit, e.g. 512m.")
        String memory;

        @Option(names = "--cpus", paramLabel = "N", description = "CPU limit, e.g. 1.5.")
        double cpus;

        @Option(names = "--no-daemon", description = "Do not start puckd (idle sprites then sleep only when asked).")
        boolean noDaemon;

        @Override
        int run(Puck puck) {
            SpriteSpec.Builder b = SpriteSpec.builder(name).ports(ports).env(env);
            if (image != null) {
                b.image(labs.sandwich.puck.api.ImageRef.of(image));
            }
            if (idleTimeout != null) {
                b.idleTimeout(Parse.duration("--idle-timeout", idleTimeout));
            }
            SpriteSpec spec = b.build();
            SleepPolicy sleep = spec.sleep();
            if (pauseAfter != null) {
                sleep = sleep.withPauseAfter(Parse.duration("--pause-after", pauseAfter));
            }
            if (archiveAfter != null) {
                sleep = sleep.withArchiveAfter(Parse.duration("--archive-after", archiveAfter));
            }
            spec = spec.withSleep(sleep).withResources(new Resources(cpus, memory == null ? 0 : Parse.bytes("--memory", memory), 0));
            progress("creating " + name + "…");
            long t = System.nanoTime();
            Sprite s = puck.create(spec);
            long took = ms(t);
            if (!noDaemon) {
                DaemonCommand.ensureRunning(global, this::progress);
            }
            result("created " + name + " (" + s.state() + ") in " + took + " ms", Out.map("sprite", Out.sprite(s.inspect()), "tookMs", took));
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", aliases = "ls", description = "List the sprites: state, idle time, memory, URL.")
    static final class ListCmd extends Base {
        @Override
        int run(Puck puck) {
            List<Map<String, Object>> json = new ArrayList<>();
            List<List<String>> rows = new ArrayList<>();
            Instant now = Instant.now();
            for (Sprite s : puck.list()) {
                SpriteInfo info;
                try {
                    info = s.inspect();
                } catch (PuckException e) {
                    rows.add(List.of(s.name(), s.state().name(), "-", "-", "-", "(" + e.problem() + ")"));
                    continue;
                }
                Why why = s.why();
                String idle = why.awakeBecause().isEmpty() ? why.lastActivity().map(a -> Out.human(Duration.between(a.at(), now))).orElse("-") : "busy";
                String memory = info.attributes().containsKey("memory.bytes") ? Out.bytes(Long.parseLong(info.attributes().get("memory.bytes")))
                        : info.state().isAwake() || info.state() == SpriteState.PAUSED ? "-" : "0 B";
                String url = info.attributes().getOrDefault("url", "-");
                rows.add(List.of(s.name(), info.state().name(), Out.human(Duration.between(info.stateSince(), now)), idle, memory, url));
                Map<String, Object> j = Out.sprite(info);
                j.put("idle", idle);
                j.put("url", url);
                json.add(j);
            }
            if (global.json) {
                Out.json(out(), json);
            } else if (rows.isEmpty()) {
                out().println("no sprites; create one with `puck create NAME`");
                out().flush();
            } else {
                Out.table(out(), List.of("NAME", "STATE", "FOR", "IDLE", "MEMORY", "URL"), rows);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "inspect", description = "Show a sprite: spec, state, runtime attributes.")
    static final class Inspect extends Base {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        int run(Puck puck) {
            SpriteInfo i = puck.get(name).inspect();
            StringBuilder b = new StringBuilder();
            b.append("name:     ").append(i.name()).append('\n');
            b.append("state:    ").append(i.state()).append(" since ").append(i.stateSince()).append('\n');
            b.append("image:    ").append(i.spec().image().reference()).append('\n');
            b.append("created:  ").append(i.createdAt()).append('\n');
            b.append("sleep:    pause ").append(i.spec().sleep().pauseAfter()).append(", hibernate ").append(i.spec().sleep().hibernateAfter())
                    .append(", archive ").append(i.spec().sleep().archiveAfter()).append('\n');
            if (!i.spec().ports().isEmpty()) {
                b.append("ports:    ").append(i.spec().ports()).append('\n');
            }
            i.attributes().forEach((k, v) -> b.append(k).append(": ").append(v).append('\n'));
            result(b.toString().stripTrailing(), Out.sprite(i));
            return ExitCodes.OK;
        }
    }

    @Command(name = "exec", description = "Run a command in a sprite (waking it first) and exit with its exit code.")
    static final class Exec extends Base {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1..*", paramLabel = "ARG", arity = "1..*", description = "The command and its arguments (after --), never through a shell.")
        List<String> argv;

        @Option(names = {"-i", "--interactive"}, description = "Pass standard input to the command.")
        boolean stdin;

        @Option(names = {"-w", "--workdir"}, paramLabel = "DIR")
        String workdir;

        @Option(names = {"-u", "--user"}, paramLabel = "USER")
        String user;

        @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE")
        Map<String, String> env = Map.of();

        @Option(names = "--timeout", paramLabel = "TIME", description = "Kill the command after this long (default 10m).")
        String timeout;

        @Override
        int run(Puck puck) throws IOException {
            Sprite s = puck.get(name);
            if (s.state() != SpriteState.RUNNING) {
                progress("waking " + name + " (" + s.state().name().toLowerCase(java.util.Locale.ROOT) + ")…");
            }
            ExecRequest r = ExecRequest.of(argv);
            if (stdin) {
                r = r.withStdin(io.in().readAllBytes());
            }
            if (workdir != null) {
                r = r.withWorkdir(workdir);
            }
            if (user != null) {
                r = r.withUser(user);
            }
            for (var e : env.entrySet()) {
                r = r.withEnv(e.getKey(), e.getValue());
            }
            if (timeout != null) {
                r = r.withTimeout(Parse.duration("--timeout", timeout));
            }
            ExecResult res = s.exec(r);
            if (global.json) {
                Out.json(out(), Out.map("exitCode", res.exitCode(), "stdout", res.stdout(), "stderr", res.stderr(), "elapsedMs", res.elapsed().toMillis()));
            } else {
                out().print(res.stdout());
                out().flush();
                err().print(res.stderr());
                err().flush();
            }
            return res.exitCode();
        }
    }

    @Command(name = "cp", description = "Copy a file into or out of a sprite: puck cp LOCAL NAME:/PATH, or puck cp NAME:/PATH LOCAL.")
    static final class Cp extends Base {
        @Parameters(index = "0", paramLabel = "SOURCE")
        String source;

        @Parameters(index = "1", paramLabel = "TARGET")
        String target;

        @Override
        int run(Puck puck) {
            String[] from = remote(source);
            String[] to = remote(target);
            if ((from == null) == (to == null)) {
                throw new InvalidSpecException("cp", "Exactly one of '" + source + "' and '" + target + "' must be in a sprite (NAME:/absolute/path).",
                        "Write e.g. `puck cp notes.txt media-bot:/root/notes.txt` or `puck cp media-bot:/etc/os-release .`.");
            }
            long t = System.nanoTime();
            if (to != null) {
                puck.get(to[0]).copyIn(Path.of(source), to[1]);
                result("copied " + source + " to " + target + " in " + ms(t) + " ms", Out.map("from", source, "to", target));
            } else {
                Path local = Path.of(target);
                if (java.nio.file.Files.isDirectory(local)) {
                    local = local.resolve(Path.of(from[1]).getFileName().toString());
                }
                puck.get(from[0]).copyOut(from[1], local);
                result("copied " + source + " to " + local + " in " + ms(t) + " ms", Out.map("from", source, "to", local.toString()));
            }
            return ExitCodes.OK;
        }

        /** @return {name, path} if the argument names a file in a sprite */
        private static String[] remote(String arg) {
            int colon = arg.indexOf(':');
            if (colon <= 0 || colon + 1 >= arg.length() || arg.charAt(colon + 1) != '/') {
                return null;
            }
            String name = arg.substring(0, colon);
            Names.requireSpriteName(name);
            return new String[] {name, arg.substring(colon + 1)};
        }
    }

    /** pause, hibernate, wake, archive: one call, timed. */
    abstract static class Move extends Base {
        @Parameters(paramLabel = "NAME")
        String name;

        abstract String verb();

        abstract void apply(Sprite s);

        @Override
        int run(Puck puck) {
            Sprite s = puck.get(name);
            SpriteState from = s.state();
            progress(verb().replaceAll("e?d$", "ing") + " " + name + "…");
            long t = System.nanoTime();
            apply(s);
            long took = ms(t);
            result(verb() + " " + name + " (" + from + " -> " + s.state() + ") in " + took + " ms",
                    Out.map("sprite", name, "from", from.name(), "state", s.state().name(), "tookMs", took));
            return ExitCodes.OK;
        }
    }

    @Command(name = "pause", description = "Freeze a sprite in place: memory kept, wakes in milliseconds.")
    static final class Pause extends Move {
        String verb() {
            return "paused";
        }

        void apply(Sprite s) {
            s.pause();
        }
    }

    @Command(name = "hibernate", description = "Checkpoint a sprite's memory to disk and free its RAM.")
    static final class Hibernate extends Move {
        String verb() {
            return "hibernated";
        }

        void apply(Sprite s) {
            s.hibernate();
        }
    }

    @Command(name = "wake", description = "Wake a paused, hibernated or archived sprite.")
    static final class Wake extends Move {
        String verb() {
            return "woke";
        }

        void apply(Sprite s) {
            s.wake();
        }
    }

    @Command(name = "archive", description = "Hibernate a sprite and export its checkpoint, freeing all but its volumes.")
    static final class Archive extends Move {
        String verb() {
            return "archived";
        }

        void apply(Sprite s) {
            s.archive();
        }
    }

    @Command(name = "why", description = "Say why a sprite is awake or asleep, and when it will sleep.")
    static final class WhyCmd extends Base {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        int run(Puck puck) {
            Why w = puck.get(name).why();
            result(w.toString(), Out.why(w));
            return ExitCodes.OK;
        }
    }

    @Command(name = "logs", description = "Show a sprite's state changes, with their causes, oldest first.")
    static final class Logs extends Base {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = {"-n", "--lines"}, paramLabel = "N", description = "How many (default 20).")
        int lines = 20;

        @Override
        int run(Puck puck) {
            List<Change> changes = puck.get(name).history(lines).reversed();
            if (global.json) {
                Out.json(out(), changes.stream().map(Out::change).toList());
            } else {
                changes.forEach(c -> out().println(c));
                out().flush();
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "fork", description = "Start a new sprite from a snapshot: puck fork NAME SNAPSHOT NEW-NAME.")
    static final class Fork extends Base {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "SNAPSHOT", description = "Its id or label.")
        String snapshot;

        @Parameters(index = "2", paramLabel = "NEW-NAME")
        String newName;

        @Override
        int run(Puck puck) {
            Sprite s = puck.get(name);
            progress("forking " + name + " into " + newName + "…");
            long t = System.nanoTime();
            Sprite f = s.fork(snapshot(s, snapshot), newName);
            long took = ms(t);
            result("forked " + name + " into " + newName + " (" + f.state() + ") in " + took + " ms", Out.map("sprite", Out.sprite(f.inspect()), "tookMs", took));
            return ExitCodes.OK;
        }
    }

    @Command(name = "delete", aliases = "rm", description = "Delete a sprite; its volumes are kept unless --purge.")
    static final class Delete extends Base {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--purge", description = "Delete its volumes and snapshots too.")
        boolean purge;

        @Option(names = {"-f", "--force"}, description = "Do not ask (needed when not on a terminal).")
        boolean force;

        @Override
        int run(Puck puck) throws IOException {
            Sprite s = puck.get(name);
            if (!force) {
                if (!io.isTerminal(0)) {
                    throw new InvalidSpecException("--force", "Refusing to delete sprite '" + name + "' without confirmation: standard input is not a terminal.",
                            "Add --force in scripts.");
                }
                err().print("Delete sprite " + name + (purge ? " with its volumes and snapshots" : " (its volumes are kept)") + "? [y/N] ");
                err().flush();
                String answer = new java.io.BufferedReader(new java.io.InputStreamReader(io.in(), StandardCharsets.UTF_8)).readLine();
                if (answer == null || !answer.strip().toLowerCase(java.util.Locale.ROOT).startsWith("y")) {
                    err().println("not deleted");
                    err().flush();
                    return ExitCodes.DECLINED;
                }
            }
            s.delete(purge ? DeletePolicy.PURGE : DeletePolicy.KEEP_VOLUMES);
            result("deleted " + name + (purge ? " and its volumes" : " (volumes kept)"), Out.map("sprite", name, "purged", purge));
            return ExitCodes.OK;
        }
    }
}
