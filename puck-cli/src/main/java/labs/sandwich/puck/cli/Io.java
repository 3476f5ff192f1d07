package labs.sandwich.puck.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/**
 * Where a command's input and output go and the terminal it runs on: this process's own
 * ({@link #LOCAL}), or, inside puckd, those of the {@code puck} client it serves ({@link Handoff}).
 */
interface Io {
    InputStream in();

    OutputStream out();

    OutputStream err();

    /** @param fd 0, 1 or 2 @return whether the caller's stream is a terminal */
    boolean isTerminal(int fd);

    /** @return the caller's terminal's columns and rows, if stdin is one */
    Optional<int[]> size();

    /** Puts the caller's terminal in raw mode. @return what puts it back */
    Runnable raw();

    Io LOCAL = new Io() {
        @Override
        public InputStream in() {
            return System.in;
        }

        @Override
        public OutputStream out() {
            return System.out;
        }

        @Override
        public OutputStream err() {
            return System.err;
        }

        @Override
        public boolean isTerminal(int fd) {
            return Terminal.isTerminal(fd);
        }

        @Override
        public Optional<int[]> size() {
            return Terminal.size();
        }

        @Override
        public Runnable raw() {
            String saved = Terminal.save().orElse(null);
            if (saved == null) {
                return () -> {};
            }
            Terminal.raw();
            return () -> Terminal.restore(saved);
        }
    };
}
