package labs.sandwich.puck.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How `puck daemon stop` tells that puckd has ended. */
class DaemonCommandTest {
    @Test
    void aProcessThatEndedButIsNotReapedYetHasEnded() throws Exception {
        // `sleep 0.2` ends as a child of `sleep 5` (the shell exec'd into it), which never reaps it: a zombie for five seconds,
        // as puckd is until a slow init reaps it.
        Process parent = new ProcessBuilder("sh", "-c", "sleep 0.2 & echo $!; exec sleep 5").start();
        try {
            long pid = Long.parseLong(new BufferedReader(new InputStreamReader(parent.getInputStream())).readLine().strip());
            ProcessHandle child = ProcessHandle.of(pid).orElseThrow();
            assertThat(DaemonCommand.awaitExit(child, Duration.ofSeconds(3))).as("ended within the wait").isTrue();
            assertThat(DaemonCommand.zombie(pid)).as("ended, not reaped").isTrue();
            assertThat(child.isAlive()).as("which ProcessHandle still counts as alive").isTrue();
            assertThat(DaemonCommand.awaitExit(ProcessHandle.current(), Duration.ofMillis(50))).as("a running process has not ended").isFalse();
            assertThat(DaemonCommand.zombie(ProcessHandle.current().pid())).isFalse();
        } finally {
            parent.destroyForcibly();
        }
    }
}
