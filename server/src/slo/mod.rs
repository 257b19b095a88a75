pub mod defs;
mod openslo;
mod pyrra;
mod sloth;
