DROP TABLE course_authors;
