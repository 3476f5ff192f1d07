package labs.sandwich.puck.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import labs.sandwich.puck.core.internal.Config;
import org.junit.jupiter.api.Test;

class ConfigTest {
    @Test
    void builderBeatsPropertyBeatsEnvironment() {
        Map<String, String> props = Map.of("puck.podman.socket", "/prop.sock", "puck.runtime", "prop");
        Map<String, String> env = Map.of("PUCK_PODMAN_SOCKET", "/env.sock", "PUCK_RUNTIME", "env", "PUCK_STORE", "/env.db");
        Config c = new Config(Map.of("podman.socket", "/builder.sock"), props::get, env::get);
        assertThat(c.get("podman.socket")).hasValue("/builder.sock");
        assertThat(c.get("runtime")).hasValue("prop");
        assertThat(c.get("store")).hasValue("/env.db");
        assertThat(c.get("absent")).isEmpty();
    }

    @Test
    void blankValuesCountAsUnset() {
        Config c = new Config(Map.of(), k -> "  ", k -> null);
        assertThat(c.get("runtime")).isEmpty();
    }

    @Test
    void environmentNamesAreUpperCaseWithUnderscores() {
        assertThat(Config.envName("podman.socket")).isEqualTo("PUCK_PODMAN_SOCKET");
        assertThat(Config.envName("tailscale.local-api")).isEqualTo("PUCK_TAILSCALE_LOCAL_API");
    }
}
