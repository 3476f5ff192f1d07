package labs.sandwich.puck.examples.modulepath;

import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;

/** The same sprite life as the class-path example, run as a named module. */
public final class OnTheModulePath {
    private OnTheModulePath() {}

    public static void main(String[] args) {
        if (OnTheModulePath.class.getModule().getName() == null || Puck.class.getModule().getName() == null) {
            throw new IllegalStateException("not on the module path: " + OnTheModulePath.class.getModule() + ", " + Puck.class.getModule());
        }
        try (Puck puck = Puck.open()) {
            Sprite sprite = puck.create(SpriteSpec.named("example-modules-" + ProcessHandle.current().pid()));
            try {
                sprite.hibernate();
                sprite.wake();
                String out = sprite.exec("echo", "named modules").orThrow().stdout().strip();
                System.out.println(sprite + " in " + Puck.class.getModule().getName() + " on " + puck.runtimeName() + ": " + out);
            } finally {
                sprite.delete(DeletePolicy.PURGE);
            }
        }
    }
}
