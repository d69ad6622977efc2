//! `dfw-cli`: argument parsing and printing over the dfw libraries.

fn main() {
    println!("dfw-cli");
}
