package labs.sandwich.puck.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExecRequestTest {
    @Test
    void argvIsRequiredAndNeverAShellString() {
        assertThatThrownBy(() -> ExecRequest.of()).isInstanceOf(InvalidSpecException.class).hasMessageContaining("program name");
        assertThatThrownBy(() -> ExecRequest.of(" ")).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> ExecRequest.of("echo", "a\0b")).hasMessageContaining("NUL");
        assertThat(ExecRequest.of("echo", "$(id); rm -rf /").argv()).containsExactly("echo", "$(id); rm -rf /");
    }

    @Test
    void withersValidate() {
        ExecRequest r = ExecRequest.of("ls").withEnv("A", "1").withWorkdir("/tmp").withUser("root").withStdin("hi").withTimeout(Duration.ofSeconds(3));
        assertThat(r.env()).containsEntry("A", "1");
        assertThat(r.stdin()).containsExactly('h', 'i');
        assertThat(r).isEqualTo(ExecRequest.of("ls").withEnv("A", "1").withWorkdir("/tmp").withUser("root").withStdin("hi").withTimeout(Duration.ofSeconds(3)));
        assertThatThrownBy(() -> r.withTimeout(Duration.ZERO)).hasMessageContaining("Invalid exec timeout");
        assertThatThrownBy(() -> r.withTimeout(Duration.ofSeconds(-5))).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> r.withWorkdir("relative")).hasMessageContaining("absolute path");
        assertThatThrownBy(() -> r.withUser("root; id")).hasMessageContaining("Invalid user");
    }

    @Test
    void stdinIsCopiedBothWays() {
        byte[] in = {1, 2, 3};
        ExecRequest r = ExecRequest.of("cat").withStdin(in);
        in[0] = 9;
        assertThat(r.stdin()[0]).isEqualTo((byte) 1);
        r.stdin()[1] = 9;
        assertThat(r.stdin()[1]).isEqualTo((byte) 2);
    }

    @Test
    void resultOrThrow() {
        ExecResult ok = new ExecResult("s", List.of("true"), 0, "", "", Duration.ZERO);
        assertThat(ok.orThrow()).isSameAs(ok);
        ExecResult bad = new ExecResult("s", List.of("false"), 3, "", "boom\n", Duration.ZERO);
        assertThatThrownBy(bad::orThrow).isInstanceOfSatisfying(ExecFailedException.class, e -> {
            assertThat(e.result()).isSameAs(bad);
            assertThat(e.getMessage()).contains("[false]", "exited with 3", "boom");
        });
    }
}
