package labs.sandwich.puck.examples.consumer;

import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;

/** A sprite's whole life from plain Java: create, run, hibernate (memory to disk), wake, delete. */
public final class Hello {
    private Hello() {}

    public static void main(String[] args) {
        try (Puck puck = Puck.open()) {
            String note = hello(puck, "example-hello-" + ProcessHandle.current().pid());
            if (!note.equals("remembered")) {
                throw new IllegalStateException("the sprite forgot its note: " + note);
            }
        }
    }

    static String hello(Puck puck, String name) {
        // tag::hello[]
        Sprite sprite = puck.create(SpriteSpec.named(name));
        try {
            sprite.exec("sh", "-c", "echo remembered > /root/note").orThrow();
            sprite.hibernate();                      // its memory goes to disk; it uses no RAM
            sprite.wake();                           // processes, memory and files are back
            String note = sprite.exec("cat", "/root/note").orThrow().stdout().strip();
            System.out.println(sprite + " says " + note);
            return note;
        } finally {
            sprite.delete(DeletePolicy.PURGE);       // and its volumes
        }
        // end::hello[]
    }
}
