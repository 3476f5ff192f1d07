package labs.sandwich.puck.junit5;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second session in the same JVM (a nested launcher) sweeps dead sessions at its start; it
 * must leave the first one's lock alone. Opening and closing that lock file would drop the
 * JVM's POSIX lock on it, and another JVM would then sweep a live session's sprites. The
 * kernel's lock table (/proc/locks) is the judge, not Java's view of its own locks.
 */
class SessionLockTest {
    @TempDir
    Path root;

    @Test
    void aSecondSessionOfTheJvmLeavesTheFirstOnesLockHeld() throws Exception {
        try (Session first = Session.start(root)) {
            Path lock = first.directory().resolve("session.lock");
            assertThat(kernelHoldsLockOn(lock)).as("locked when started").isTrue();
            try (Session second = Session.start(root)) {
                assertThat(kernelHoldsLockOn(lock)).as("still locked after another session of this JVM swept").isTrue();
                assertThat(second.directory()).isNotEqualTo(first.directory());
            }
            assertThat(kernelHoldsLockOn(lock)).as("still locked after it closed (and swept again)").isTrue();
        }
    }

    /** @return whether /proc/locks has a lock of this process on the file's inode */
    private static boolean kernelHoldsLockOn(Path file) throws Exception {
        Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey(); // (dev=…,ino=…)
        String inode = key.toString().replaceAll(".*ino=(\\d+).*", "$1");
        String pid = Long.toString(ProcessHandle.current().pid());
        return Files.readAllLines(Path.of("/proc/locks")).stream().map(l -> l.trim().split("\\s+"))
                .anyMatch(f -> f.length > 5 && f[4].equals(pid) && f[5].endsWith(":" + inode));
    }
}
