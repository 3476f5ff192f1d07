package labs.sandwich.puck.cli;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * The thin {@code puck} client: when puckd serves the store, a sprite command is run by puckd,
 * whose JVM is warm and whose runtime is open, instead of by a JVM that starts cold; this
 * process only relays its arguments, standard streams and terminal. A command then takes a few
 * tens of milliseconds plus its own work, instead of about a second and a half.
 *
 * <p>The wire, over {@code <store>.puckd.sock} (mode 0600, the same user only): the client
 * sends a hello (build, argv, which of its streams are terminals, the terminal's size), then
 * frames of one type byte, a length and the bytes. puckd sends {@code O}/{@code E} (stdout,
 * stderr), {@code I} (start sending stdin), {@code R}/{@code r} (raw mode on/off), {@code X}
 * (the exit code) or {@code V} (another build: run it here). The client sends {@code i}
 * (stdin), {@code e} (end of stdin) and {@code S} (new terminal size).
 *
 * <p>Everything here avoids picocli and Puck's own classes: this is the path that must start fast.
 */
final class Handoff {
    private Handoff() {}

    static final int PROTOCOL = 1;
    /** The commands puckd serves: the ones that act on sprites. Others (cp with local paths, daemon, demo, doctor) run here. */
    static final Set<String> SERVED = Set.of("list", "inspect", "console", "exec", "pause", "hibernate", "wake", "archive", "snapshot", "fork",
            "why", "logs", "delete", "create");

    /** @return the exit code of the command as puckd ran it, or empty when it must run in this process */
    static Optional<Integer> run(String[] args) {
        if (args.length == 0 || !SERVED.contains(args[0]) || "off".equalsIgnoreCase(System.getenv("PUCK_DAEMON"))
                || Arrays.stream(args).anyMatch(a -> a.equals("--runtime") || a.startsWith("--runtime=") || a.equals("--help") || a.equals("-h"))) {
            return Optional.empty();
        }
        Path socket = StorePath.beside(StorePath.resolve(storeOption(args)), "sock");
        if (!Files.exists(socket)) {
            return Optional.empty();
        }
        SocketChannel channel;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return Optional.empty(); // a socket left by a puckd that is gone
        }
        try (channel) {
            return new Client(channel, args).relay();
        } catch (IOException e) {
            System.err.println("puck: puckd closed the connection while it ran the command (" + e.getMessage()
                    + "); check `puck daemon status` and its log, then run the command again.");
            return Optional.of(ExitCodes.FAILED);
        }
    }

    private static Optional<Path> storeOption(String[] args) {
        for (int i = 0; i < args.length && !args[i].equals("--"); i++) {
            if (args[i].equals("--store") && i + 1 < args.length) {
                return Optional.of(Path.of(args[i + 1]));
            }
            if (args[i].startsWith("--store=")) {
                return Optional.of(Path.of(args[i].substring("--store=".length())));
            }
        }
        return Optional.empty();
    }

    /** @return what tells one build of puck from another: a puckd of another build serves nobody (its commands may differ) */
    static String build() {
        try {
            Path jar = Path.of(Handoff.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar + "@" + Files.getLastModifiedTime(jar).toMillis() + "/" + Files.size(jar);
        } catch (IOException | java.net.URISyntaxException | SecurityException e) {
            return "unknown";
        }
    }

    static void frame(DataOutputStream out, int type, byte[] bytes, int length) throws IOException {
        synchronized (out) {
            out.writeByte(type);
            out.writeInt(length);
            out.write(bytes, 0, length);
            out.flush();
        }
    }

    /** The client's side of one command. */
    private static final class Client {
        private final DataInputStream in;
        private final DataOutputStream out;
        private final String[] args;
        private volatile Runnable unraw;

        Client(SocketChannel channel, String[] args) {
            this.in = new DataInputStream(new java.io.BufferedInputStream(Channels.newInputStream(channel)));
            this.out = new DataOutputStream(new java.io.BufferedOutputStream(Channels.newOutputStream(channel)));
            this.args = args;
        }

        Optional<Integer> relay() throws IOException {
            boolean tty = Terminal.isTerminal(0);
            int[] size = tty && args[0].equals("console") ? Terminal.size().orElse(new int[] {80, 24}) : new int[] {80, 24};
            synchronized (out) {
                out.writeInt(PROTOCOL);
                out.writeUTF(build());
                out.writeInt(args.length);
                for (String a : args) {
                    out.writeUTF(a);
                }
                out.writeBoolean(tty);
                out.writeBoolean(Terminal.isTerminal(1));
                out.writeBoolean(Terminal.isTerminal(2));
                out.writeInt(size[0]);
                out.writeInt(size[1]);
                out.flush();
            }
            Thread restore = new Thread(this::unraw);
            Runtime.getRuntime().addShutdownHook(restore); // a kill leaves the terminal as it was
            try {
                while (true) {
                    int type;
                    try {
                        type = in.readUnsignedByte();
                    } catch (EOFException e) {
                        throw new IOException("no exit code came");
                    }
                    byte[] bytes = in.readNBytes(in.readInt());
                    switch (type) {
                        case 'O' -> write(System.out, bytes);
                        case 'E' -> write(System.err, bytes);
                        case 'I' -> Thread.ofPlatform().daemon().name("puck-stdin").start(this::sendStdin);
                        case 'R' -> raw(size);
                        case 'r' -> unraw();
                        case 'X' -> {
                            return Optional.of(java.nio.ByteBuffer.wrap(bytes).getInt());
                        }
                        case 'V' -> {
                            return Optional.empty();
                        }
                        default -> throw new IOException("unknown frame " + type);
                    }
                }
            } finally {
                unraw();
                try {
                    Runtime.getRuntime().removeShutdownHook(restore);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs anyway
                }
            }
        }

        private static void write(OutputStream to, byte[] bytes) {
            try {
                to.write(bytes);
                to.flush();
            } catch (IOException e) {
                // our own stdout is gone (a closed pipe): nothing to tell
            }
        }

        private void sendStdin() {
            byte[] buf = new byte[8192];
            try {
                InputStream stdin = System.in;
                for (int n; (n = stdin.read(buf)) >= 0; ) {
                    frame(out, 'i', buf, n);
                }
                frame(out, 'e', buf, 0);
            } catch (IOException e) {
                // the command ended, and with it the connection
            }
        }

        private void raw(int[] size) {
            String saved = Terminal.save().orElse(null);
            if (saved == null) {
                return;
            }
            Terminal.raw();
            unraw = () -> Terminal.restore(saved);
            Thread.ofPlatform().daemon().name("puck-resize").start(() -> followSize(size));
        }

        private synchronized void unraw() {
            Runnable r = unraw;
            unraw = null;
            if (r != null) {
                r.run();
            }
        }

        /** Sends window size changes while the terminal is raw. */
        private void followSize(int[] size) {
            Terminal.followSize(size, Terminal::size, () -> unraw != null, now -> {
                byte[] b = java.nio.ByteBuffer.allocate(8).putInt(now[0]).putInt(now[1]).array();
                try {
                    frame(out, 'S', b, b.length);
                } catch (IOException e) {
                    // the command ended
                }
            });
        }
    }
}
