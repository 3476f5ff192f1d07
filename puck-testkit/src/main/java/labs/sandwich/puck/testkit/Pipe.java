package labs.sandwich.puck.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An unbounded pipe between threads: what is written to {@link #sink()} is read from
 * {@link #source()} in order, and closing the sink ends the source. Unlike
 * {@link java.io.PipedInputStream} it does not break when the writing thread ends, which
 * matters when callers write from short-lived virtual threads. Any thread may write; one
 * thread at a time reads.
 */
final class Pipe {
    private static final byte[] END = new byte[0];

    private final BlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private final OutputStream sink = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed.get()) {
                throw new IOException("the pipe is closed");
            }
            if (len > 0) {
                chunks.add(Arrays.copyOfRange(b, off, off + len));
            }
        }

        @Override
        public void close() {
            Pipe.this.close();
        }
    };

    private final InputStream source = new InputStream() {
        private byte[] current = new byte[0];
        private int position;
        private boolean ended;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (position == current.length) {
                if (ended) {
                    return -1;
                }
                try {
                    current = chunks.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading the pipe");
                }
                position = 0;
                ended = current == END;
            }
            int n = Math.min(len, current.length - position);
            System.arraycopy(current, position, b, off, n);
            position += n;
            return n;
        }

        @Override
        public int available() {
            return current.length - position;
        }
    };

    /** @return the writing end; closing it ends the source */
    OutputStream sink() {
        return sink;
    }

    /** @return the reading end */
    InputStream source() {
        return source;
    }

    /** Closes the writing end: the source ends once it has read what was written. Idempotent. */
    void close() {
        if (closed.compareAndSet(false, true)) {
            chunks.add(END);
        }
    }
}
