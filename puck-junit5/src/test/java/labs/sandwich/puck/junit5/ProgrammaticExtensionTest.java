package labs.sandwich.puck.junit5;

import static org.assertj.core.api.Assertions.assertThat;

import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.Sprite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extension registered in code, with the runtime and its socket named explicitly. */
class ProgrammaticExtensionTest {
    // tag::register[]
    @RegisterExtension
    static PuckExtension puck = PuckExtension.builder().runtime("podman").config("podman.socket", "/run/podman/podman.sock").build();
    // end::register[]

    @SpriteInstance(image = "localhost/puck/base:bookworm")
    static Sprite box;

    @Test
    void spritesAndPuckComeFromTheConfiguredRuntime(Puck p) {
        assertThat(p.runtimeName()).isEqualTo("podman");
        assertThat(box.exec("cat", "/etc/debian_version").orThrow().stdout()).startsWith("12.");
        assertThat(p.get(box.name()).name()).isEqualTo(box.name());
    }
}
