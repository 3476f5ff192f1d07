package labs.sandwich.puck.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteNotFoundException;
import org.junit.jupiter.api.Test;

/** Every error code is unique, well-formed and documented in docs/errors.md, so PuckException.docs() never points nowhere. */
class ErrorCodesTest {
    @Test
    void everyCodeHasItsSectionInTheDocs() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "errors.md"));
        List<String> codes = codes();
        assertThat(codes).as("the scan found the exceptions").hasSizeGreaterThanOrEqualTo(17);
        Set<String> unique = new HashSet<>();
        for (String code : codes) {
            assertThat(code).matches("PUCK-[A-Z]+-[0-9]{3}");
            assertThat(unique.add(code)).as("code %s is used once", code).isTrue();
            assertThat(doc).as("docs/errors.md has a section for %s", code).contains("\n## " + code + "\n");
        }
    }

    @Test
    void messagesCarryTheRemedyAndTheCode() {
        PuckException e = new SpriteNotFoundException("ghost");
        assertThat(e.getMessage()).isEqualTo("There is no sprite named 'ghost'. Fix: " + e.remedy().orElseThrow() + " [PUCK-SPRITE-001]");
        assertThat(e.sprite()).hasValue("ghost");
        assertThat(e.docs()).isEqualTo("docs/errors.md#puck-sprite-001");
    }

    private static List<String> codes() throws IOException, ReflectiveOperationException {
        List<String> codes = new ArrayList<>();
        for (Class<?> c : PublicSignaturesTest.classesOf(Sprite.class)) {
            if (PuckException.class.isAssignableFrom(c) && !Modifier.isAbstract(c.getModifiers())) {
                Field f = c.getField("CODE");
                if (f.getDeclaringClass() == c) {
                    codes.add((String) f.get(null));
                }
            }
        }
        return codes;
    }
}
