/** The drag-and-drop type of a note dragged from the list (its id as the data). */
export const NOTE_DRAG = "application/x-coffer-note";
