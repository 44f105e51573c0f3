//! Import of Markdown folders and age files, export to a Markdown folder.
