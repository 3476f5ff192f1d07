package labs.sandwich.puck.cli;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import jdk.net.ExtendedSocketOptions;
import labs.sandwich.puck.Puck;

/** puckd's side of {@link Handoff}: runs the commands {@code puck} clients hand it, on puckd's open Puck. */
final class HandoffServer implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Path socket;
    private final Puck puck;
    private final Path store;
    private final String build = Handoff.build();

    private HandoffServer(ServerSocketChannel server, Path socket, Puck puck, Path store) {
        this.server = server;
        this.socket = socket;
        this.puck = puck;
        this.store = store;
    }

    /** Listens on {@code <store>.puckd.sock}; the caller holds the store's puckd lock, so a socket found there is a dead puckd's. */
    static HandoffServer start(Path store, Puck puck) throws IOException {
        Path socket = StorePath.beside(store, "sock");
        Files.deleteIfExists(socket);
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        ch.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        HandoffServer s = new HandoffServer(ch, socket, puck, store);
        Thread.ofPlatform().daemon().name("puckd-handoff").start(s::accept);
        return s;
    }

    private void accept() {
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                Thread.ofVirtual().name("puckd-command").start(() -> serve(c));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(SocketChannel c) {
        try (c) {
            String peer = c.getOption(ExtendedSocketOptions.SO_PEERCRED).user().getName();
            if (!peer.equals(System.getProperty("user.name")) && !peer.equals("root")) {
                return; // the socket's mode keeps others out; this says so again
            }
            DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Channels.newInputStream(c)));
            DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Channels.newOutputStream(c)));
            if (in.readInt() != Handoff.PROTOCOL | !in.readUTF().equals(build)) {
                Handoff.frame(out, 'V', new byte[0], 0); // another build of puck: it runs the command itself
                return;
            }
            String[] argv = new String[in.readInt()];
            for (int i = 0; i < argv.length; i++) {
                argv[i] = in.readUTF();
            }
            Remote io = new Remote(out, new boolean[] {in.readBoolean(), in.readBoolean(), in.readBoolean()}, new int[] {in.readInt(), in.readInt()});
            Thread worker = Thread.currentThread();
            Thread.ofVirtual().name("puckd-command-input").start(() -> io.read(in, worker));
            long t = System.nanoTime();
            int code;
            try {
                var cl = PuckCommand.commandLine(io, puck, store);
                code = cl.execute(argv);
                cl.getOut().flush();
                cl.getErr().flush();
            } finally {
                io.done = true; // the reader ends when the client hangs up, after the exit code (interrupting it would close the channel)
            }
            Handoff.frame(out, 'X', ByteBuffer.allocate(4).putInt(code).array(), 4);
            System.err.println("puckd: served `puck " + argv[0] + "` (exit " + code + ") in " + Base.ms(t) + " ms");
        } catch (IOException e) {
            // the client went away; its command was interrupted
        }
    }

    @Override
    public void close() {
        try {
            server.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // shutting down
        }
    }

    /** A client's streams and terminal, as frames on its connection. */
    private static final class Remote implements Io {
        private final DataOutputStream out;
        private final boolean[] tty;
        private volatile int[] size;
        private final LinkedBlockingQueue<byte[]> stdin = new LinkedBlockingQueue<>();
        private volatile boolean asked;
        volatile boolean done;

        Remote(DataOutputStream out, boolean[] tty, int[] size) {
            this.out = out;
            this.tty = tty;
            this.size = size;
        }

        /** Reads the client's frames until it hangs up; a hang-up before the command ends interrupts it. */
        void read(DataInputStream in, Thread worker) {
            try {
                while (true) {
                    int type = in.readUnsignedByte();
                    byte[] bytes = in.readNBytes(in.readInt());
                    switch (type) {
                        case 'i' -> stdin.add(bytes);
                        case 'e' -> stdin.add(new byte[0]);
                        case 'S' -> size = new int[] {ByteBuffer.wrap(bytes).getInt(), ByteBuffer.wrap(bytes).getInt(4)};
                        default -> throw new IOException("unknown frame " + type);
                    }
                }
            } catch (IOException e) {
                stdin.add(new byte[0]);
                if (!done) {
                    worker.interrupt();
                }
            }
        }

        @Override
        public InputStream in() {
            return new InputStream() {
                private byte[] chunk = new byte[1];
                private int at = 1;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (chunk.length == 0) {
                        return -1;
                    }
                    if (!asked) {
                        asked = true;
                        Handoff.frame(out, 'I', new byte[0], 0);
                    }
                    try {
                        while (at >= chunk.length) {
                            chunk = stdin.take();
                            at = 0;
                            if (chunk.length == 0) {
                                return -1;
                            }
                        }
                    } catch (InterruptedException e) {
                        throw new InterruptedIOException("the client went away");
                    }
                    int n = Math.min(len, chunk.length - at);
                    System.arraycopy(chunk, at, b, off, n);
                    at += n;
                    return n;
                }
            };
        }

        @Override
        public OutputStream out() {
            return stream('O');
        }

        @Override
        public OutputStream err() {
            return stream('E');
        }

        private OutputStream stream(int type) {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    if (len > 0) {
                        Handoff.frame(out, type, off == 0 ? b : java.util.Arrays.copyOfRange(b, off, off + len), len);
                    }
                }
            };
        }

        @Override
        public boolean isTerminal(int fd) {
            return tty[fd];
        }

        @Override
        public Optional<int[]> size() {
            return tty[0] ? Optional.of(size) : Optional.empty();
        }

        @Override
        public Runnable raw() {
            try {
                Handoff.frame(out, 'R', new byte[0], 0);
            } catch (IOException e) {
                return () -> {};
            }
            return () -> {
                try {
                    Handoff.frame(out, 'r', new byte[0], 0);
                } catch (IOException e) {
                    // the client went away; it restores its terminal as it exits
                }
            };
        }
    }
}
