-- A first load of these indicators from one file: every incoming row is fresh.
create view fresh as select * from new_rows
